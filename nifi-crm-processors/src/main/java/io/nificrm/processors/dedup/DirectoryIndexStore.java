package io.nificrm.processors.dedup;

import org.h2.mvstore.MVMap;
import org.h2.mvstore.MVStore;
import org.h2.mvstore.MVStoreException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;

/**
 * A match index in one file of a local directory, kept by H2's MVStore (an embedded, crash-safe key-value store:
 * each {@link #putAll} is committed before it returns). The file is locked while open, so one processor owns a
 * directory.
 */
public final class DirectoryIndexStore implements IndexStore {
    static final String FILE_NAME = "crm-dedup-index.mv.db";

    private final Path file;
    private final MVStore store;
    private final MVMap<String, byte[]> map;

    public DirectoryIndexStore(Path directory) throws IOException {
        this(directory, FILE_NAME);
    }

    /** A store kept in {@code fileName} inside {@code directory}, so other users of a directory keep their own file. */
    public DirectoryIndexStore(Path directory, String fileName) throws IOException {
        Files.createDirectories(directory);
        this.file = directory.resolve(fileName);
        try {
            this.store = new MVStore.Builder().fileName(file.toString()).compress().open();
        } catch (MVStoreException e) {
            throw new IOException("Cannot open the match index " + file + " (is another processor using this directory?): " + e.getMessage(), e);
        }
        this.map = store.openMap("index");
    }

    @Override
    public Map<String, byte[]> getAll(Collection<String> keys) {
        Map<String, byte[]> found = new HashMap<>();
        for (String key : keys) {
            byte[] value = map.get(key);
            if (value != null) {
                found.put(key, value);
            }
        }
        return found;
    }

    @Override
    public synchronized void putAll(Map<String, byte[]> entries) throws IOException {
        try {
            map.putAll(entries);
            store.commit();
        } catch (MVStoreException e) {
            throw new IOException("Cannot write the match index " + file + ": " + e.getMessage(), e);
        }
    }

    @Override
    public synchronized void removeAll(Collection<String> keys) throws IOException {
        try {
            keys.forEach(map::remove);
            store.commit();
        } catch (MVStoreException e) {
            throw new IOException("Cannot write the match index " + file + ": " + e.getMessage(), e);
        }
    }

    /** Number of keys held. */
    public long size() {
        return map.sizeAsLong();
    }

    @Override
    public String describe() {
        return "directory index " + file;
    }

    @Override
    public synchronized void close() {
        if (!store.isClosed()) {
            store.close();
        }
    }
}
