package io.nificrm.processors.dedup;

import java.util.List;
import java.util.Locale;

/** What the records describe: people (contacts, leads) or companies (accounts). */
public enum EntityType {
    PERSON, COMPANY;

    /** The blocking keys used when none are configured. */
    public List<BlockingKey> defaultKeys() {
        return this == PERSON ? List.of(BlockingKey.EMAIL, BlockingKey.PHONE, BlockingKey.NAME)
                : List.of(BlockingKey.DOMAIN, BlockingKey.COMPANY_NAME, BlockingKey.PHONE);
    }

    public String value() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static EntityType of(String value) {
        return valueOf(value.trim().toUpperCase(Locale.ROOT));
    }
}
