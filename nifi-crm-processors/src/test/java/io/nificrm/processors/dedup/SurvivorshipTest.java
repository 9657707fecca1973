package io.nificrm.processors.dedup;

import org.apache.nifi.serialization.SimpleRecordSchema;
import org.apache.nifi.serialization.record.MapRecord;
import org.apache.nifi.serialization.record.Record;
import org.apache.nifi.serialization.record.RecordField;
import org.apache.nifi.serialization.record.RecordFieldType;
import org.apache.nifi.serialization.record.RecordSchema;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SurvivorshipTest {
    private static final RecordSchema SCHEMA = new SimpleRecordSchema(List.of(
            field("Id"), field("Email"), field("Title"), field("Phone"), field("Source")));

    private static RecordField field(String name) {
        return new RecordField(name, RecordFieldType.STRING.getDataType(), true);
    }

    private static Record record(String id, String email, String title, String phone, String source) {
        Map<String, Object> values = new HashMap<>();
        values.put("Id", id);
        values.put("Email", email);
        values.put("Title", title);
        values.put("Phone", phone);
        values.put("Source", source);
        return new MapRecord(SCHEMA, values);
    }

    private static Features features(String id, long modified, int completeness, int rank) {
        return new Features(id, null, null, "x", "y", null, null, null, null, null, modified, completeness, rank);
    }

    /** Sorts members by the strategy and returns the golden values. */
    private static Map<String, Object> golden(Survivorship s, List<Record> records, List<Features> features) {
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < records.size(); i++) {
            order.add(i);
        }
        order.sort((a, b) -> s.order().compare(features.get(a), features.get(b)));
        return s.golden(order.stream().map(records::get).toList(), order.stream().map(features::get).toList());
    }

    private final List<Record> records = List.of(
            record("old", "ann@acme.com", "Engineer", "111", "hubspot"),
            record("new", "ann@@acme", "Senior Engineer", null, "csv"),
            record("full", "ann@acme.io", "Eng", "333", "salesforce"));
    private final List<Features> features = List.of(features("old", 1_000, 4, 1), features("new", 3_000, 3, 2),
            features("full", 2_000, 5, 0));

    @Test
    void mostRecentMasterWithGapsFilledInOrder() {
        Survivorship s = new Survivorship(Survivorship.Strategy.MOST_RECENT, Map.of(), Set.of("Id"), Set.of("Email"));
        Map<String, Object> g = golden(s, records, features);
        assertEquals("new", g.get("Id"), "the master's id");
        assertEquals("Senior Engineer", g.get("Title"));
        assertEquals("333", g.get("Phone"), "the master has no phone: the next most recent's");
        assertEquals("ann@acme.io", g.get("Email"), "a malformed e-mail counts as missing");
    }

    @Test
    void mostCompleteAndSourcePriorityChooseOtherMasters() {
        Survivorship complete = new Survivorship(Survivorship.Strategy.MOST_COMPLETE, Map.of(), Set.of("Id"), Set.of("Email"));
        assertEquals("full", golden(complete, records, features).get("Id"));
        Survivorship source = new Survivorship(Survivorship.Strategy.SOURCE_PRIORITY, Map.of(), Set.of("Id"), Set.of("Email"));
        Map<String, Object> g = golden(source, records, features);
        assertEquals("full", g.get("Id"), "salesforce ranks first");
        assertEquals("Eng", g.get("Title"));
    }

    @Test
    void perFieldRulesOverrideSingleFields() {
        Map<String, Survivorship.Rule> rules = Survivorship.parseRules(
                "{\"Title\": \"longest\", \"Phone\": \"oldest\", \"Source\": \"most_frequent\", \"Email\": \"source_priority\"}");
        Survivorship s = new Survivorship(Survivorship.Strategy.MOST_RECENT, rules, Set.of("Id"), Set.of("Email"));
        List<Record> three = new ArrayList<>(records);
        three.add(record("dup", null, null, null, "salesforce"));
        List<Features> threeFeatures = new ArrayList<>(features);
        threeFeatures.add(features("dup", 500, 2, 0));
        Map<String, Object> g = golden(s, three, threeFeatures);
        assertEquals("new", g.get("Id"));
        assertEquals("Senior Engineer", g.get("Title"));
        assertEquals("111", g.get("Phone"), "the oldest record with a phone");
        assertEquals("salesforce", g.get("Source"), "two of four say salesforce");
        assertEquals("ann@acme.io", g.get("Email"), "the best-ranked source with an e-mail");
    }

    @Test
    void rulesAreValidated() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Survivorship.parseRules("{\"Title\": \"newest\"}"))
                .getMessage().contains("field 'Title': unknown rule 'newest'"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Survivorship.parseRules("[1]"))
                .getMessage().contains("JSON object"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Survivorship.Strategy.of("random"))
                .getMessage().contains("unknown survivorship strategy"));
    }
}
