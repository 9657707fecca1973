package io.nificrm.processors.dedup;

import io.nificrm.api.CrmConnectionService;
import io.nificrm.api.CrmObjectSchema;
import org.apache.nifi.serialization.record.Record;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Finds records that already exist in the target system and may be duplicates of incoming ones: one
 * {@link CrmConnectionService#lookup} per lookup key (by e-mail: the batch's well-formed e-mails; by phone: its
 * numbers in E.164), split by the service into as many calls as its API needs. The target's fields are read with
 * the same field roles as the incoming records (the defaults name Salesforce and HubSpot fields).
 */
public final class TargetLookup {

    /** What to look target records up by. */
    public enum Key {
        EMAIL("email", FieldRole.EMAIL), PHONE("phone", FieldRole.PHONE);

        private final String value;
        private final FieldRole role;

        Key(String value, FieldRole role) {
            this.value = value;
            this.role = role;
        }

        public String value() {
            return value;
        }

        public static List<Key> parse(String list) {
            List<Key> keys = new ArrayList<>();
            for (String part : list.split(",")) {
                String name = part.trim().toLowerCase(Locale.ROOT);
                if (name.isEmpty()) {
                    continue;
                }
                Key found = null;
                for (Key k : values()) {
                    if (k.value.equals(name)) {
                        found = k;
                    }
                }
                if (found == null) {
                    throw new IllegalArgumentException("'" + name + "' is not a target lookup key; known keys: email, phone");
                }
                if (!keys.contains(found)) {
                    keys.add(found);
                }
            }
            if (keys.isEmpty()) {
                throw new IllegalArgumentException("name at least one target lookup key");
            }
            return List.copyOf(keys);
        }
    }

    /** A record found in the target. */
    public record Found(Features features, String targetId, Object key) {
    }

    private final CrmConnectionService service;
    private final String object;
    private final List<Key> keys;
    private final Map<FieldRole, List<String>> roles;
    private final EntityType entity;
    private final String defaultRegion;
    private final String keyField;

    /**
     * @param keyField a target field whose value golden records carry (besides the target id), or null
     */
    public TargetLookup(CrmConnectionService service, String object, List<Key> keys, Map<FieldRole, List<String>> roles,
                        EntityType entity, String defaultRegion, String keyField) {
        this.service = service;
        this.object = object;
        this.keys = keys;
        this.roles = roles;
        this.entity = entity;
        this.defaultRegion = defaultRegion;
        this.keyField = keyField;
    }

    /**
     * Looks up the target records that share an e-mail or phone with the given records.
     *
     * @throws io.nificrm.api.CrmException when the target cannot be read
     */
    public List<Found> find(Collection<Features> incoming) {
        CrmObjectSchema schema = service.describe(object);
        List<String> wanted = new ArrayList<>();
        for (FieldRole role : FieldRole.values()) {
            for (String field : roles.getOrDefault(role, List.of())) {
                if (schema.field(field).isPresent() && !wanted.contains(field)) {
                    wanted.add(field);
                }
            }
        }
        if (keyField != null && !wanted.contains(keyField)) {
            wanted.add(keyField);
        }
        Map<String, Found> found = new LinkedHashMap<>();
        for (Key key : keys) {
            String field = null;
            for (String candidate : roles.getOrDefault(key.role, List.of())) {
                if (schema.field(candidate).isPresent()) {
                    field = candidate;
                    break;
                }
            }
            if (field == null) {
                continue;
            }
            Set<String> values = new LinkedHashSet<>();
            for (Features f : incoming) {
                if (key == Key.EMAIL && f.emailValid) {
                    values.add(f.email);
                } else if (key == Key.PHONE) {
                    for (long phone : f.phones) {
                        values.add(PhoneKeys.e164(phone));
                    }
                }
            }
            if (values.isEmpty()) {
                continue;
            }
            List<Record> records = service.lookup(object, field, values, wanted);
            FeatureExtractor extractor = null;
            for (Record record : records) {
                if (extractor == null) {
                    Map<FieldRole, List<String>> targetRoles = new LinkedHashMap<>(roles);
                    List<String> ids = new ArrayList<>();
                    ids.add(schema.idField());
                    targetRoles.put(FieldRole.ID, ids);
                    extractor = new FeatureExtractor(entity, targetRoles, record.getSchema(), defaultRegion, List.of());
                }
                Object id = record.getValue(schema.idField());
                if (id == null || found.containsKey(id.toString())) {
                    continue;
                }
                try {
                    found.put(id.toString(), new Found(extractor.extract(record), id.toString(),
                            keyField == null ? null : record.getValue(keyField)));
                } catch (FeatureExtractor.MalformedRecord e) {
                    // A target record with nothing to match on cannot be a duplicate of anything.
                }
            }
        }
        return new ArrayList<>(found.values());
    }
}
