package io.nificrm.processors.twoway;

import io.nificrm.processors.dedup.CacheIndexStore;
import io.nificrm.processors.dedup.DirectoryIndexStore;
import io.nificrm.processors.dedup.IndexStore;
import org.apache.nifi.distributed.cache.client.DistributedMapCacheClient;

import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.WeakHashMap;

/**
 * Opens the key-value store under a sync ledger. A two-way sync has several processors on one ledger (a
 * {@code SyncCrmChanges} per direction and the {@code ConfirmCrmSync} after each upsert); a local directory store
 * is locked by the process that opens it, so every processor of this JVM naming the same directory shares one open
 * store, closed when the last of them lets go.
 */
public final class LedgerStores {
    static final String FILE_NAME = "crm-sync-ledger.mv.db";
    private static final Map<Path, Shared> DIRECTORIES = new HashMap<>();
    private static final Map<DistributedMapCacheClient, Object> CACHE_LOCKS = new WeakHashMap<>();

    private LedgerStores() {
    }

    /** A ledger store in use; {@link #lock()} serializes read-modify-write cycles on it within this JVM. */
    public static final class Handle implements Closeable {
        private final IndexStore store;
        private final Object lock;
        private final Runnable release;
        private boolean closed;

        Handle(IndexStore store, Object lock, Runnable release) {
            this.store = store;
            this.lock = lock;
            this.release = release;
        }

        public IndexStore store() {
            return store;
        }

        public Object lock() {
            return lock;
        }

        @Override
        public synchronized void close() {
            if (!closed) {
                closed = true;
                release.run();
            }
        }
    }

    private static final class Shared {
        final DirectoryIndexStore store;
        int users;

        Shared(DirectoryIndexStore store) {
            this.store = store;
        }
    }

    /** The ledger in {@value #FILE_NAME} of {@code directory}, shared with the other processors of this JVM using it. */
    public static Handle directory(Path directory) throws IOException {
        Path key = directory.toAbsolutePath().normalize();
        synchronized (DIRECTORIES) {
            Shared shared = DIRECTORIES.get(key);
            if (shared == null) {
                shared = new Shared(new DirectoryIndexStore(key, FILE_NAME));
                DIRECTORIES.put(key, shared);
            }
            shared.users++;
            Shared opened = shared;
            return new Handle(opened.store, opened, () -> {
                synchronized (DIRECTORIES) {
                    if (--opened.users == 0) {
                        DIRECTORIES.remove(key);
                        opened.store.close();
                    }
                }
            });
        }
    }

    /** The ledger in a distributed map cache (shared by the nodes of a cluster). */
    public static Handle cache(DistributedMapCacheClient client) {
        Object lock;
        synchronized (CACHE_LOCKS) {
            lock = CACHE_LOCKS.computeIfAbsent(client, c -> new Object());
        }
        return new Handle(new CacheIndexStore(client), lock, () -> {
        });
    }
}
