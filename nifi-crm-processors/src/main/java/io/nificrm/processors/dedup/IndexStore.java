package io.nificrm.processors.dedup;

import java.io.Closeable;
import java.io.IOException;
import java.util.Collection;
import java.util.Map;

/** The key-value store under a persistent {@link MatchIndex}. Implementations must be safe for concurrent use. */
public interface IndexStore extends Closeable {

    /** The values of those keys that exist. */
    Map<String, byte[]> getAll(Collection<String> keys) throws IOException;

    void putAll(Map<String, byte[]> entries) throws IOException;

    void removeAll(Collection<String> keys) throws IOException;

    /** What the store is, for log messages. */
    String describe();
}
