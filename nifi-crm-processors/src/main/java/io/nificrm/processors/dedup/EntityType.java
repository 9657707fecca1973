package io.nificrm.processors.dedup;

import java.util.List;
import java.util.Locale;

/** What the records describe: people (contacts, leads) or companies (accounts). */
public enum EntityType {
    PERSON(List.of(BlockingKey.EMAIL, BlockingKey.PHONE, BlockingKey.NAME)),
    COMPANY(List.of(BlockingKey.DOMAIN, BlockingKey.COMPANY_NAME, BlockingKey.PHONE));

    private final List<BlockingKey> defaultKeys;

    EntityType(List<BlockingKey> defaultKeys) {
        this.defaultKeys = defaultKeys;
    }

    public List<BlockingKey> defaultKeys() {
        return defaultKeys;
    }

    public String value() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static EntityType of(String value) {
        return valueOf(value.trim().toUpperCase(Locale.ROOT));
    }
}
