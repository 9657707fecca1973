package io.nificrm.processors.dedup;

import org.apache.nifi.serialization.record.Record;
import org.apache.nifi.serialization.record.RecordSchema;

import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.time.temporal.TemporalAccessor;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Turns records into {@link Features}: reads the fields of each {@link FieldRole} that the records' schema has,
 * normalizes them and pools frequent values. One extractor serves one record schema (one FlowFile, or the target's
 * lookup results). Not thread-safe.
 */
public final class FeatureExtractor {
    /** Distinct pooled values kept at most; past it values are still used, just not shared. */
    private static final int POOL_LIMIT = 200_000;
    private static final DateTimeFormatter OFFSET_WITHOUT_COLON = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss[.SSS]Z", Locale.ROOT);

    private final EntityType entity;
    private final Map<FieldRole, List<String>> fields = new EnumMap<>(FieldRole.class);
    private final String defaultRegion;
    private final List<String> sourcePriority;
    private final Map<String, String> pool = new HashMap<>();

    /** Thrown for a record that cannot take part: the message is the reason given to the operator. */
    public static final class MalformedRecord extends Exception {
        public MalformedRecord(String message) {
            super(message, null, false, false);
        }
    }

    /**
     * @param configured    field names per role, in order of preference
     * @param schema        the records' schema; roles whose fields it lacks are ignored
     * @param defaultRegion ISO region of phone numbers without country code when the record has no country
     * @param sourcePriority source values, highest priority first (lower case)
     */
    public FeatureExtractor(EntityType entity, Map<FieldRole, List<String>> configured, RecordSchema schema,
                            String defaultRegion, List<String> sourcePriority) {
        this.entity = entity;
        this.defaultRegion = defaultRegion;
        this.sourcePriority = sourcePriority;
        for (FieldRole role : FieldRole.values()) {
            List<String> present = new ArrayList<>();
            for (String name : configured.getOrDefault(role, List.of())) {
                if (schema == null || schema.getField(name).isPresent()) {
                    present.add(name);
                }
            }
            fields.put(role, List.copyOf(present));
        }
    }

    /** The fields of the schema that play {@code role} (empty when none). */
    public List<String> fields(FieldRole role) {
        return fields.get(role);
    }

    /** Every field any role reads. */
    public List<String> allFields() {
        List<String> all = new ArrayList<>();
        fields.values().forEach(all::addAll);
        return all;
    }

    public Features extract(Record record) throws MalformedRecord {
        String id = text(record, FieldRole.ID);
        if (id == null) {
            throw new MalformedRecord(fields.get(FieldRole.ID).isEmpty() ? "the record has no id field" : "the id field "
                    + fields.get(FieldRole.ID) + " is empty");
        }
        String email = Normalize.email(text(record, FieldRole.EMAIL));
        String countryRaw = text(record, FieldRole.COUNTRY);
        String country = pooled(Normalize.country(countryRaw));
        String region = country != null && country.length() == 2 ? country : defaultRegion;
        long[] phones = phones(record, region);
        String first = null;
        String last = null;
        String company;
        String domain = null;
        if (entity == EntityType.PERSON) {
            first = pooled(Normalize.name(text(record, FieldRole.FIRST_NAME)));
            last = pooled(Normalize.name(text(record, FieldRole.LAST_NAME)));
            company = pooled(Normalize.companyName(text(record, FieldRole.COMPANY)));
        } else {
            company = pooled(Normalize.companyName(text(record, FieldRole.COMPANY_NAME)));
            domain = Normalize.domain(text(record, FieldRole.WEBSITE));
            if (domain == null) {
                domain = Normalize.companyDomainOfEmail(email);
            }
            domain = pooled(domain);
        }
        String street = Normalize.street(text(record, FieldRole.STREET));
        String city = pooled(Normalize.name(text(record, FieldRole.CITY)));
        long modified = modified(record);
        int rank = sourceRank(record);
        Features features = new Features(id, email, phones, first, last, company, domain, street, city, country, modified,
                completeness(record), rank);
        if (!features.hasIdentity()) {
            throw new MalformedRecord("the record has nothing to match on: no e-mail, phone, name, company or domain");
        }
        return features;
    }

    private long[] phones(Record record, String region) throws MalformedRecord {
        List<String> phoneFields = fields.get(FieldRole.PHONE);
        long[] keys = null;
        int n = 0;
        for (String field : phoneFields) {
            String raw = scalar(record.getValue(field), field);
            long key = PhoneKeys.key(raw, region, defaultRegion);
            if (key == 0) {
                continue;
            }
            boolean seen = false;
            for (int i = 0; i < n; i++) {
                seen |= keys[i] == key;
            }
            if (!seen) {
                if (keys == null) {
                    keys = new long[phoneFields.size()];
                }
                keys[n++] = key;
            }
        }
        return n == 0 ? Features.NO_PHONES : n == keys.length ? keys : java.util.Arrays.copyOf(keys, n);
    }

    private long modified(Record record) throws MalformedRecord {
        for (String field : fields.get(FieldRole.MODIFIED)) {
            Object value = record.getValue(field);
            if (value == null || value instanceof String s && s.isBlank()) {
                continue;
            }
            long millis = epochMillis(value);
            if (millis == Features.UNKNOWN_TIME) {
                throw new MalformedRecord("the modified field " + field + " holds '" + abbreviate(value) + "', which is not a date-time");
            }
            return millis;
        }
        return Features.UNKNOWN_TIME;
    }

    /** Epoch milliseconds of a date-time value of any type readers produce, or {@link Features#UNKNOWN_TIME}. */
    static long epochMillis(Object value) {
        if (value instanceof java.util.Date d) {
            return d.getTime();
        }
        if (value instanceof Instant i) {
            return i.toEpochMilli();
        }
        if (value instanceof OffsetDateTime o) {
            return o.toInstant().toEpochMilli();
        }
        if (value instanceof ZonedDateTime z) {
            return z.toInstant().toEpochMilli();
        }
        if (value instanceof LocalDateTime l) {
            return l.toInstant(ZoneOffset.UTC).toEpochMilli();
        }
        if (value instanceof LocalDate d) {
            return d.atStartOfDay(ZoneOffset.UTC).toInstant().toEpochMilli();
        }
        if (value instanceof Number n) {
            return n.longValue();
        }
        if (value instanceof String s) {
            return parseTime(s.trim());
        }
        return Features.UNKNOWN_TIME;
    }

    private static long parseTime(String s) {
        if (s.isEmpty()) {
            return Features.UNKNOWN_TIME;
        }
        if (s.chars().allMatch(Character::isDigit) && s.length() <= 18) {
            return Long.parseLong(s);
        }
        try {
            return Instant.parse(s).toEpochMilli();
        } catch (DateTimeParseException ignored) {
            // try the next format
        }
        try {
            return OffsetDateTime.parse(s).toInstant().toEpochMilli();
        } catch (DateTimeParseException ignored) {
            // try the next format
        }
        try {
            TemporalAccessor t = OFFSET_WITHOUT_COLON.parse(s);
            return OffsetDateTime.from(t).toInstant().toEpochMilli();
        } catch (java.time.DateTimeException ignored) {
            // try the next format
        }
        try {
            return LocalDateTime.parse(s.replace(' ', 'T')).toInstant(ZoneOffset.UTC).toEpochMilli();
        } catch (DateTimeParseException ignored) {
            // try the next format
        }
        try {
            return LocalDate.parse(s).atStartOfDay(ZoneOffset.UTC).toInstant().toEpochMilli();
        } catch (DateTimeParseException ignored) {
            return Features.UNKNOWN_TIME;
        }
    }

    private int sourceRank(Record record) throws MalformedRecord {
        if (sourcePriority.isEmpty()) {
            return Byte.MAX_VALUE;
        }
        String source = text(record, FieldRole.SOURCE);
        int rank = source == null ? -1 : sourcePriority.indexOf(source.trim().toLowerCase(Locale.ROOT));
        return rank < 0 ? Byte.MAX_VALUE : rank;
    }

    private static int completeness(Record record) {
        int n = 0;
        for (Object value : record.getValues()) {
            if (value != null && !(value instanceof String s && s.isBlank())) {
                n++;
            }
        }
        return n;
    }

    private String text(Record record, FieldRole role) throws MalformedRecord {
        for (String field : fields.get(role)) {
            String value = scalar(record.getValue(field), field);
            if (value != null && !value.isBlank()) {
                return value;
            }
        }
        return null;
    }

    private static String scalar(Object value, String field) throws MalformedRecord {
        if (value == null) {
            return null;
        }
        if (value instanceof String s) {
            return s;
        }
        if (value instanceof Number || value instanceof Boolean || value instanceof Character
                || value instanceof java.util.Date || value instanceof java.time.temporal.Temporal) {
            return value.toString();
        }
        String kind = value instanceof Record ? "a record" : value instanceof Object[] || value instanceof Collection ? "an array"
                : value instanceof Map ? "a map" : value.getClass().getSimpleName();
        throw new MalformedRecord("field " + field + " holds " + kind + ", not a single value");
    }

    private String pooled(String value) {
        if (value == null) {
            return null;
        }
        String shared = pool.get(value);
        if (shared != null) {
            return shared;
        }
        if (pool.size() < POOL_LIMIT) {
            pool.put(value, value);
        }
        return value;
    }

    private static String abbreviate(Object value) {
        String s = String.valueOf(value);
        return s.length() > 40 ? s.substring(0, 40) + "…" : s;
    }
}
