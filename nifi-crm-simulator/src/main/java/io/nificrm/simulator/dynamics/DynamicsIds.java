package io.nificrm.simulator.dynamics;

import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * Record GUIDs that sort (as text) in creation order, so {@code @odata.nextLink} paging can walk a table by id:
 * {@code <object type code, 8 hex>-0000-4000-8000-<counter, 12 hex>}. The type code keeps GUIDs of different tables
 * apart, so binding a lookup to a GUID of the wrong table fails as it would on the real service.
 */
final class DynamicsIds implements Supplier<String> {
    private final int typeCode;
    private final AtomicLong counter = new AtomicLong();

    DynamicsIds(int typeCode) {
        this.typeCode = typeCode;
    }

    @Override
    public String get() {
        return String.format("%08x-0000-4000-8000-%012x", typeCode, counter.incrementAndGet());
    }
}
