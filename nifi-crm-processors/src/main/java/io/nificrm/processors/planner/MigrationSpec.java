package io.nificrm.processors.planner;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Everything the planner needs: the objects with their counts and references, both sides' limits, the cluster, and
 * the operator's choices. Build it with {@link #builder()}; {@link MigrationPlanner#plan} checks it and explains every
 * problem it finds.
 *
 * @param objects            objects to migrate, in the operator's preferred order (used to break ties)
 * @param source             the side read from
 * @param target             the side written to
 * @param nodes              NiFi nodes sharing the work (each runs the fetch and upsert processors)
 * @param threadsPerNode     most concurrent tasks one processor may run on one node
 * @param pageSize           records per query page, or null for the source's maximum
 * @param batchSize          records per write call, or null for the target's maximum
 * @param deferredReferences reference fields ({@code Object.field}) loaded by a second update pass instead of ordering
 *                           (breaks cycles; self-references are deferred automatically)
 * @param ignoredReferences  reference fields ({@code Object.field}) the mapping does not migrate: they impose no order
 */
public record MigrationSpec(List<ObjectSpec> objects, SystemSpec source, SystemSpec target, int nodes, int threadsPerNode,
                            Integer pageSize, Integer batchSize, Set<String> deferredReferences, Set<String> ignoredReferences) {

    /** Concurrent tasks per processor per node assumed when not given. */
    public static final int DEFAULT_THREADS_PER_NODE = 8;

    public MigrationSpec {
        objects = objects == null ? List.of() : List.copyOf(objects);
        deferredReferences = deferredReferences == null ? Set.of() : java.util.Collections.unmodifiableSet(new LinkedHashSet<>(deferredReferences));
        ignoredReferences = ignoredReferences == null ? Set.of() : java.util.Collections.unmodifiableSet(new LinkedHashSet<>(ignoredReferences));
    }

    public static Builder builder() {
        return new Builder();
    }

    public Builder toBuilder() {
        Builder b = new Builder();
        b.objects.addAll(objects);
        b.source = source;
        b.target = target;
        b.nodes = nodes;
        b.threadsPerNode = threadsPerNode;
        b.pageSize = pageSize;
        b.batchSize = batchSize;
        b.deferred.addAll(deferredReferences);
        b.ignored.addAll(ignoredReferences);
        return b;
    }

    /** Builds a {@link MigrationSpec}; nothing is checked until planning. */
    public static final class Builder {
        private final List<ObjectSpec> objects = new ArrayList<>();
        private SystemSpec source;
        private SystemSpec target;
        private int nodes = 1;
        private int threadsPerNode = DEFAULT_THREADS_PER_NODE;
        private Integer pageSize;
        private Integer batchSize;
        private final Set<String> deferred = new LinkedHashSet<>();
        private final Set<String> ignored = new LinkedHashSet<>();

        public Builder object(ObjectSpec object) {
            objects.add(object);
            return this;
        }

        public Builder objects(List<ObjectSpec> values) {
            objects.addAll(values);
            return this;
        }

        public Builder source(SystemSpec value) {
            source = value;
            return this;
        }

        public Builder target(SystemSpec value) {
            target = value;
            return this;
        }

        public Builder nodes(int value) {
            nodes = value;
            return this;
        }

        public Builder threadsPerNode(int value) {
            threadsPerNode = value;
            return this;
        }

        public Builder pageSize(Integer value) {
            pageSize = value;
            return this;
        }

        public Builder batchSize(Integer value) {
            batchSize = value;
            return this;
        }

        /** Loads {@code Object.field} by a second update pass. */
        public Builder defer(String objectDotField) {
            deferred.add(objectDotField);
            return this;
        }

        /** {@code Object.field} is not migrated and imposes no order. */
        public Builder ignore(String objectDotField) {
            ignored.add(objectDotField);
            return this;
        }

        public MigrationSpec build() {
            return new MigrationSpec(objects, source, target, nodes, threadsPerNode, pageSize, batchSize, deferred, ignored);
        }
    }
}
