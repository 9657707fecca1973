package io.nificrm.nifitests.flows;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.dataformat.csv.CsvMapper;
import com.fasterxml.jackson.dataformat.csv.CsvSchema;
import io.nificrm.nifitests.harness.SimulatorAdmin;
import io.nificrm.simulator.SimulatorCredentials;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The file-import scenario, shared by the nifi-mock run and the real-NiFi run of templates/file-import: a Salesforce
 * Data Loader-style export of contacts (the columns the salesforce-to-hubspot-contacts preset reads) with 26 rows:
 * 20 new people (10 at a company that is already in HubSpot), 2 with malformed e-mails, a duplicate pair, a person
 * who already exists in HubSpot under another source id (same e-mail), and one at a company HubSpot does not have.
 */
public final class FileImportData {

    public static final String FILE_NAME = "contacts-export.csv";
    static final List<String> COLUMNS = List.of("Id", "FirstName", "LastName", "Email", "Phone", "MobilePhone", "Title",
            "AccountId", "MailingCity", "MailingCountry", "Birthdate", "Legacy_Signup_Date__c");
    private static final String[][] PEOPLE = {
            {"Margarethe", "Oyelaran"}, {"Bartholomew", "Quisenberry"}, {"Ximena", "Haugland"}, {"Tadeusz", "Ferreira"},
            {"Oluwaseun", "Lindqvist"}, {"Priyanka", "Vasquez"}, {"Cornelius", "Nakamura"}, {"Genevieve", "Abernathy"},
            {"Leopold", "Ivanova"}, {"Saoirse", "Kowalczyk"}, {"Thaddeus", "Mbeki"}, {"Ingrid", "Castellanos"},
            {"Rafferty", "Yilmaz"}, {"Philippa", "Okonkwo"}, {"Evander", "Sørensen"}, {"Marisol", "Featherstone"},
            {"Ignatius", "Tanaka"}, {"Wilhelmina", "Achterberg"}, {"Casimir", "Delacroix"}, {"Henrietta", "Balogun"}};
    static final String COMPANY = "FILE-ACME";
    static final String EXISTING_SOURCE_ID = "FILE-EXISTING-1";
    static final String EXISTING_EMAIL = "existing.person@file-import.example";

    private final Path file;

    private FileImportData(Path file) {
        this.file = file;
    }

    public Path file() {
        return file;
    }

    /** Puts the company and the existing contact into HubSpot and writes the CSV file into {@code dir}. */
    public static FileImportData write(Path dir, SimulatorAdmin sim) {
        sim.putRecord("hubspot", "companies", Map.of("fields", Map.of("name", "File Import Acme", "domain", "file-import-acme.example",
                "source_id", COMPANY)));
        sim.putRecord("hubspot", "contacts", Map.of("fields", Map.of("firstname", "Existing", "lastname", "Person",
                "email", EXISTING_EMAIL, "source_id", EXISTING_SOURCE_ID)));
        List<List<String>> rows = new ArrayList<>();
        rows.add(COLUMNS);
        for (int i = 1; i <= 20; i++) {
            String[] name = PEOPLE[i - 1];
            rows.add(row("FILE-" + String.format("%05d", i), name[0], name[1],
                    name[0].toLowerCase() + "." + name[1].toLowerCase().replace("ø", "o") + "@file-import.example",
                    i <= 10 ? COMPANY : "", "Analyst"));
        }
        rows.add(row("FILE-00021", "Bad", "Mailbox", "bad.mailbox(at)file-import.example", "", "Analyst"));
        rows.add(row("FILE-00022", "Worse", "Mailbox", "worse.mailbox@", "", "Analyst"));
        rows.add(row("FILE-00030", "Quentin", "Abercrombie", "quentin.abercrombie@file-import.example", "", "Analyst"));
        rows.add(row("FILE-00031", "Quentin", "Abercrombie", "QUENTIN.ABERCROMBIE@file-import.example", "", ""));
        rows.add(row("FILE-00040", "Existing", "Person", "Existing.Person@file-import.example", "", "Imported Title"));
        rows.add(row("FILE-00050", "Orphaned", "Lighthouse", "orphaned.lighthouse@file-import.example", "FILE-NOPE", "Analyst"));
        StringBuilder csv = new StringBuilder();
        for (List<String> row : rows) {
            csv.append(String.join(",", row)).append('\n');
        }
        try {
            Files.createDirectories(dir);
            Path file = dir.resolve(FILE_NAME);
            Files.writeString(file, csv, StandardCharsets.UTF_8);
            return new FileImportData(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static List<String> row(String id, String first, String last, String email, String account, String title) {
        return List.of(id, first, last, email, "", "", title, account, "Boston", "US", "1980-05-17", "2021-03-04");
    }

    /** Result files by "stage-relationship" (e.g. upsert-success, map-invalid): their CSV rows. */
    public static Map<String, List<Map<String, String>>> resultRows(Path results) {
        Map<String, List<Map<String, String>>> rows = new LinkedHashMap<>();
        if (!Files.isDirectory(results)) {
            return rows;
        }
        CsvMapper mapper = new CsvMapper();
        try (Stream<Path> files = Files.list(results)) {
            for (Path f : files.filter(p -> p.getFileName().toString().endsWith(".csv") && !p.getFileName().toString().startsWith(".")).toList()) {
                String[] parts = f.getFileName().toString().split("\\.");
                String kind = parts.length >= 4 ? parts[parts.length - 3] : "unknown";
                try (MappingIterator<Map<String, String>> it = mapper.readerForMapOf(String.class)
                        .with(CsvSchema.emptySchema().withHeader()).readValues(f.toFile())) {
                    rows.computeIfAbsent(kind, k -> new ArrayList<>()).addAll(it.readAll());
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return rows;
    }

    /** The target and the result files are exactly what the 26 rows should give. */
    public void assertImported(Path results, SimulatorAdmin sim) {
        Map<String, List<Map<String, String>>> out = resultRows(results);
        Map<String, Integer> counts = new LinkedHashMap<>();
        out.forEach((kind, list) -> counts.put(kind, list.size()));
        assertEquals(22, out.getOrDefault("upsert-success", List.of()).size(), "rows loaded; result files: " + counts);
        assertEquals(2, out.getOrDefault("map-invalid", List.of()).size(), "rows invalid; result files: " + counts);
        assertEquals(1, out.getOrDefault("dedup-duplicates", List.of()).size(), "rows merged as duplicates; result files: " + counts);
        assertEquals(1, out.getOrDefault("upsert-failure", List.of()).size(), "rows refused; result files: " + counts);
        out.get("map-invalid").forEach(r -> assertTrue(r.getOrDefault("crm_invalid_reason", "").contains("e-mail"), r.toString()));
        Map<String, String> refused = out.get("upsert-failure").getFirst();
        assertEquals("FILE-00050", refused.get("source_id"));
        assertEquals("MISSING_PARENT", refused.get("crm_error_code"), refused.toString());
        assertTrue(refused.get("crm_error_message").contains("FILE-NOPE"), refused.toString());

        Map<String, JsonNode> contacts = new HashMap<>();
        sim.records("hubspot", "contacts").forEach(r -> contacts.put(r.path("fields").path("source_id").asText(), r));
        for (int i = 1; i <= 20; i++) {
            assertNotNull(contacts.get("FILE-" + String.format("%05d", i)), "row " + i + " in HubSpot");
        }
        assertTrue(contacts.containsKey("FILE-00030") ^ contacts.containsKey("FILE-00031"), "the duplicate pair is one contact");
        assertFalse(contacts.containsKey("FILE-00040"), "the existing person was not created a second time");
        assertEquals("Imported Title", contacts.get(EXISTING_SOURCE_ID).path("fields").path("jobtitle").asText(),
                "the existing person was updated from the file");
        assertFalse(contacts.containsKey("FILE-00050"), "the orphan was not written");
        assertFalse(contacts.containsKey("FILE-00021") || contacts.containsKey("FILE-00022"), "invalid rows were not written");

        String company = sim.records("hubspot", "companies").stream()
                .filter(c -> COMPANY.equals(c.path("fields").path("source_id").asText())).findFirst().orElseThrow().path("id").asText();
        for (int i = 1; i <= 10; i++) {
            String id = contacts.get("FILE-" + String.format("%05d", i)).path("id").asText();
            JsonNode links = sim.call("GET", "/crm/v4/objects/contacts/" + id + "/associations/companies",
                    Map.of("Authorization", "Bearer " + SimulatorCredentials.HUBSPOT_PRIVATE_APP_TOKEN), null);
            assertEquals(company, links.path("results").path(0).path("toObjectId").asText(), "row " + i + " is linked to its company");
        }
    }
}
