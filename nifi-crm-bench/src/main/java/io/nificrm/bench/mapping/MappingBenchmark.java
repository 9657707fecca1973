package io.nificrm.bench.mapping;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.nificrm.bench.Table;
import io.nificrm.processors.MapCrmFields;
import io.nificrm.simulator.seed.SeedConfig;
import io.nificrm.simulator.seed.SeedData;
import io.nificrm.simulator.seed.SeedGenerator;
import org.apache.nifi.json.JsonRecordSetWriter;
import org.apache.nifi.json.JsonTreeReader;
import org.apache.nifi.processor.Processor;
import org.apache.nifi.processor.Relationship;
import org.apache.nifi.processors.standard.ConvertRecord;
import org.apache.nifi.processors.standard.UpdateRecord;
import org.apache.nifi.util.MockFlowFile;
import org.apache.nifi.util.TestRunner;
import org.apache.nifi.util.TestRunners;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;

/**
 * {@code ./bench.sh mapping [records] [runs]}: a 20-field mapping of simulated contacts through MapCrmFields and through
 * stock UpdateRecord doing the same renames and conversions with RecordPath, in the same JVM and run.
 * <p>
 * Input: one FlowFile of JSON contacts from {@link SeedGenerator} (default 100,000), as a Salesforce export with a few
 * text-typed columns (employees as text, dates as ISO text). Both sides read it with JsonTreeReader (schema inferred)
 * and write JSON with JsonRecordSetWriter, same date formats. The 20 target fields: 9 renames with trim (names, phones,
 * title, city), a lower-cased trimmed e-mail, the e-mail's domain, an upper-cased country, a lead-source value map
 * (5 values), a date parsed with a pattern, two ISO date-times, a text-to-integer conversion, a concatenated full name,
 * two constants and two plain renames. UpdateRecord (Replacement Value Strategy "Record Path Value") writes the new
 * fields and its writer's schema (the 20 fields, typed) drops the source fields and converts the types, as MapCrmFields'
 * output schema does. The outputs are compared before anything is timed.
 * <p>
 * A warm-up run of each first; then runs alternate between the processors, a fresh TestRunner each; the median of
 * each is reported, with ConvertRecord JSON→JSON as the read+write floor.
 */
public final class MappingBenchmark {
    private static final ObjectMapper JSON = new ObjectMapper();

    static final String MAPPING = """
            {
              "name": "bench-contacts",
              "fields": [
                {"target": "source_id", "source": "Id"},
                {"target": "first_name", "source": "FirstName", "transforms": ["trim"]},
                {"target": "last_name", "source": "LastName", "transforms": ["trim"]},
                {"target": "full_name", "sources": ["FirstName", "LastName"]},
                {"target": "email", "source": "Email", "transforms": ["email"]},
                {"target": "email_domain", "source": "Email", "transforms": ["email", "domain"]},
                {"target": "phone", "source": "Phone", "transforms": ["trim"]},
                {"target": "mobile_phone", "source": "MobilePhone", "transforms": ["trim"]},
                {"target": "title", "source": "Title", "transforms": ["trim"]},
                {"target": "account_id", "source": "AccountId"},
                {"target": "city", "source": "MailingCity", "transforms": ["trim"]},
                {"target": "country", "source": "MailingCountry", "transforms": ["uppercase"]},
                {"target": "lead_source", "source": "LeadSource",
                 "valueMap": {"Web": "WEB", "Phone Inquiry": "PHONE", "Partner Referral": "PARTNER", "Trade Show": "TRADE_SHOW", "Other": "OTHER"}},
                {"target": "birthdate", "source": "Birthdate", "type": "date", "formats": ["yyyy-MM-dd"]},
                {"target": "signup_text", "source": "Legacy_Signup_Date__c"},
                {"target": "employees", "source": "Employees", "type": "integer"},
                {"target": "created_at", "source": "CreatedDate", "type": "datetime"},
                {"target": "modified_at", "source": "LastModifiedDate", "type": "datetime"},
                {"target": "source_system", "constant": "salesforce"},
                {"target": "lifecycle_stage", "constant": "lead"}
              ]
            }
            """;

    /** UpdateRecord's equivalent: target field → RecordPath. */
    static final Map<String, String> UPDATES = updates();

    private static Map<String, String> updates() {
        Map<String, String> u = new LinkedHashMap<>();
        u.put("/source_id", "/Id");
        u.put("/first_name", "trim(/FirstName)");
        u.put("/last_name", "trim(/LastName)");
        u.put("/full_name", "trim(concat(trim(/FirstName), ' ', trim(/LastName)))");
        u.put("/email", "toLowerCase(trim(/Email))");
        u.put("/email_domain", "replaceRegex(toLowerCase(trim(/Email)), '^.*@', '')");
        u.put("/phone", "trim(/Phone)");
        u.put("/mobile_phone", "trim(/MobilePhone)");
        u.put("/title", "trim(/Title)");
        u.put("/account_id", "/AccountId");
        u.put("/city", "trim(/MailingCity)");
        u.put("/country", "toUpperCase(/MailingCountry)");
        u.put("/lead_source", "replace(replace(replace(replace(replace(/LeadSource, 'Web', 'WEB'), 'Phone Inquiry', 'PHONE'), "
                + "'Partner Referral', 'PARTNER'), 'Trade Show', 'TRADE_SHOW'), 'Other', 'OTHER')");
        u.put("/birthdate", "toDate(/Birthdate, 'yyyy-MM-dd')");
        u.put("/signup_text", "/Legacy_Signup_Date__c");
        u.put("/employees", "/Employees");
        u.put("/created_at", "toDate(/CreatedDate, \"yyyy-MM-dd'T'HH:mm:ssX\")");
        u.put("/modified_at", "toDate(/LastModifiedDate, \"yyyy-MM-dd'T'HH:mm:ssX\")");
        u.put("/source_system", "concat('salesforce')");
        u.put("/lifecycle_stage", "concat('lead')");
        return u;
    }

    /** The 20 target fields, typed, for UpdateRecord's writer (MapCrmFields' output schema has the same). */
    static final String OUTPUT_SCHEMA = """
            {"type": "record", "name": "contact", "fields": [
              {"name": "source_id", "type": ["null", "string"]},
              {"name": "first_name", "type": ["null", "string"]},
              {"name": "last_name", "type": ["null", "string"]},
              {"name": "full_name", "type": ["null", "string"]},
              {"name": "email", "type": ["null", "string"]},
              {"name": "email_domain", "type": ["null", "string"]},
              {"name": "phone", "type": ["null", "string"]},
              {"name": "mobile_phone", "type": ["null", "string"]},
              {"name": "title", "type": ["null", "string"]},
              {"name": "account_id", "type": ["null", "string"]},
              {"name": "city", "type": ["null", "string"]},
              {"name": "country", "type": ["null", "string"]},
              {"name": "lead_source", "type": ["null", "string"]},
              {"name": "birthdate", "type": ["null", {"type": "int", "logicalType": "date"}]},
              {"name": "signup_text", "type": ["null", "string"]},
              {"name": "employees", "type": ["null", "long"]},
              {"name": "created_at", "type": ["null", {"type": "long", "logicalType": "timestamp-millis"}]},
              {"name": "modified_at", "type": ["null", {"type": "long", "logicalType": "timestamp-millis"}]},
              {"name": "source_system", "type": ["null", "string"]},
              {"name": "lifecycle_stage", "type": ["null", "string"]}
            ]}
            """;

    private MappingBenchmark() {
    }

    record Run(String name, int records, double seconds) {
        double recordsPerSecond() {
            return records / seconds;
        }
    }

    public static void main(String[] args) throws Exception {
        int records = args.length > 0 ? Integer.parseInt(args[0]) : 100_000;
        int runs = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        byte[] input = contacts(records);
        System.out.printf(Locale.ROOT, "MapCrmFields vs UpdateRecord: %,d contacts (%,d KiB of JSON), 20 target fields, heap max %d MiB, "
                + "%d cores, median of %d runs after a warm-up%n", records, input.length >> 10, Runtime.getRuntime().maxMemory() >> 20,
                Runtime.getRuntime().availableProcessors(), runs);

        Map<String, Supplier<TestRunner>> sides = new LinkedHashMap<>();
        sides.put("MapCrmFields", MappingBenchmark::mapCrmFields);
        sides.put("UpdateRecord (RecordPath)", MappingBenchmark::updateRecord);
        sides.put("ConvertRecord (read + write floor)", MappingBenchmark::convertRecord);

        checkEquivalent(input);
        for (var side : sides.entrySet()) {
            measure(side.getKey(), side.getValue(), input, records); // warm-up
        }
        Map<String, List<Run>> results = new LinkedHashMap<>();
        for (int i = 0; i < runs; i++) {
            for (var side : sides.entrySet()) {
                results.computeIfAbsent(side.getKey(), k -> new ArrayList<>()).add(measure(side.getKey(), side.getValue(), input, records));
                System.gc();
            }
        }
        Table table = new Table("processor", "records", "median s", "records/s", "runs (records/s)", "vs UpdateRecord");
        double update = median(results.get("UpdateRecord (RecordPath)")).recordsPerSecond();
        for (var entry : results.entrySet()) {
            Run median = median(entry.getValue());
            StringBuilder all = new StringBuilder();
            entry.getValue().forEach(r -> all.append(all.isEmpty() ? "" : " ").append(String.format(Locale.ROOT, "%,.0f", r.recordsPerSecond())));
            table.row(entry.getKey(), records, String.format(Locale.ROOT, "%.3f", median.seconds()),
                    String.format(Locale.ROOT, "%,.0f", median.recordsPerSecond()), all.toString(),
                    String.format(Locale.ROOT, "%.2f×", median.recordsPerSecond() / update));
        }
        System.out.println();
        table.print();
    }

    private static Run median(List<Run> runs) {
        List<Run> sorted = new ArrayList<>(runs);
        sorted.sort((a, b) -> Double.compare(a.recordsPerSecond(), b.recordsPerSecond()));
        return sorted.get(sorted.size() / 2);
    }

    private static Run measure(String name, Supplier<TestRunner> factory, byte[] input, int records) {
        TestRunner runner = factory.get();
        runner.enqueue(input);
        long started = System.nanoTime();
        runner.run();
        double seconds = (System.nanoTime() - started) / 1e9;
        long out = 0;
        for (Relationship relationship : runner.getProcessor().getRelationships()) {
            for (MockFlowFile f : runner.getFlowFilesForRelationship(relationship)) {
                String count = f.getAttribute("record.count");
                out += count == null ? 0 : Long.parseLong(count);
            }
        }
        if (out != records) {
            throw new IllegalStateException(name + " put out " + out + " records for " + records);
        }
        return new Run(name, records, seconds);
    }

    // ---- the processors under test ----

    private static TestRunner runner(Class<? extends Processor> type, String writerSchema) {
        try {
            TestRunner runner = TestRunners.newTestRunner(type);
            JsonTreeReader reader = new JsonTreeReader();
            runner.addControllerService("reader", reader);
            runner.enableControllerService(reader);
            JsonRecordSetWriter writer = new JsonRecordSetWriter();
            runner.addControllerService("writer", writer);
            runner.setProperty(writer, "Date Format", "yyyy-MM-dd");
            runner.setProperty(writer, "Timestamp Format", "yyyy-MM-dd'T'HH:mm:ssX");
            if (writerSchema != null) {
                runner.setProperty(writer, "schema-access-strategy", "schema-text-property");
                runner.setProperty(writer, "schema-text", writerSchema);
            }
            runner.enableControllerService(writer);
            runner.setProperty("Record Reader", "reader");
            runner.setProperty("Record Writer", "writer");
            return runner;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    static TestRunner mapCrmFields() {
        TestRunner runner = runner(MapCrmFields.class, null);
        runner.setProperty("Mapping", MAPPING);
        return runner;
    }

    static TestRunner updateRecord() {
        TestRunner runner = runner(UpdateRecord.class, OUTPUT_SCHEMA);
        runner.setProperty("Replacement Value Strategy", "record-path-value");
        UPDATES.forEach(runner::setProperty);
        return runner;
    }

    static TestRunner convertRecord() {
        return runner(ConvertRecord.class, null);
    }

    /** Both processors give the same 20 values for every record, or the comparison would mean nothing. */
    private static void checkEquivalent(byte[] input) throws Exception {
        byte[] sample = java.util.Arrays.copyOf(input, input.length);
        JsonNode ours = output(mapCrmFields(), sample, MapCrmFields.class.getSimpleName());
        JsonNode theirs = output(updateRecord(), sample, UpdateRecord.class.getSimpleName());
        if (ours.size() != theirs.size()) {
            throw new IllegalStateException("Outputs differ in size: " + ours.size() + " vs " + theirs.size());
        }
        int differences = 0;
        for (int i = 0; i < ours.size(); i++) {
            JsonNode a = ours.get(i);
            JsonNode b = theirs.get(i);
            for (var it = a.fieldNames(); it.hasNext(); ) {
                String field = it.next();
                String x = a.get(field).isNull() ? null : a.get(field).asText();
                String y = b.get(field) == null || b.get(field).isNull() ? null : b.get(field).asText();
                if (!java.util.Objects.equals(x, y) && !(x == null && "".equals(y))) {
                    if (differences++ < 5) {
                        System.out.println("  differs at record " + i + ", " + field + ": MapCrmFields " + x + " / UpdateRecord " + y);
                    }
                }
            }
            if (a.size() != 20 || b.size() != 20) {
                throw new IllegalStateException("Record " + i + " has " + a.size() + " / " + b.size() + " fields, not 20");
            }
        }
        System.out.printf(Locale.ROOT, "Outputs compared: %,d records × 20 fields, %d difference(s)%n", ours.size(), differences);
        if (differences > 0) {
            throw new IllegalStateException("The two processors do not do the same work");
        }
    }

    private static JsonNode output(TestRunner runner, byte[] input, String name) throws Exception {
        runner.enqueue(input);
        runner.run();
        List<MockFlowFile> out = runner.getFlowFilesForRelationship("success");
        if (out.size() != 1) {
            throw new IllegalStateException(name + " did not put out one FlowFile: " + runner.getFlowFilesForRelationship("failure").size() + " failed");
        }
        return JSON.readTree(out.get(0).toByteArray());
    }

    // ---- input ----

    /** Contacts as a Salesforce export: ISO dates and date-times as text, employees as text. */
    static byte[] contacts(int count) throws Exception {
        SeedData data = SeedGenerator.generate(new SeedConfig(Math.max(1, count / 10), count, 0, 0.10, 42L));
        Map<String, SeedData.Company> companies = new HashMap<>();
        data.companies().forEach(c -> companies.put(c.key(), c));
        ByteArrayOutputStream out = new ByteArrayOutputStream(count * 450);
        try (JsonGenerator g = JSON.getFactory().createGenerator(out)) {
            g.writeStartArray();
            for (SeedData.Person p : data.people()) {
                SeedData.Company company = p.companyKey() == null ? null : companies.get(p.companyKey());
                g.writeStartObject();
                g.writeStringField("Id", "003" + p.key());
                g.writeStringField("FirstName", p.firstName());
                g.writeStringField("LastName", p.lastName());
                g.writeStringField("Email", p.email());
                g.writeStringField("Phone", p.phone());
                g.writeStringField("MobilePhone", p.mobile());
                g.writeStringField("Title", p.title());
                g.writeStringField("AccountId", company == null ? null : "001" + company.key());
                g.writeStringField("MailingCity", p.city());
                g.writeStringField("MailingCountry", p.country());
                g.writeStringField("LeadSource", p.leadSource());
                g.writeStringField("Birthdate", p.birthdate() == null ? null : p.birthdate().toString());
                g.writeStringField("Legacy_Signup_Date__c", p.signupDateText());
                g.writeStringField("Employees", company == null ? null : company.employees().toString());
                g.writeStringField("CreatedDate", p.createdAt().toString());
                g.writeStringField("LastModifiedDate", p.modifiedAt().toString());
                g.writeEndObject();
            }
            g.writeEndArray();
        }
        return out.toByteArray();
    }
}
