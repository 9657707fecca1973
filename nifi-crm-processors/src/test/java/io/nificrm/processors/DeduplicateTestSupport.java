package io.nificrm.processors;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.nificrm.simulator.seed.SeedData;
import org.apache.nifi.processor.Relationship;
import org.apache.nifi.util.MockFlowFile;
import org.apache.nifi.util.TestRunner;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Seed people as Salesforce-shaped Contact records, and pairwise quality measures against the ground truth. */
final class DeduplicateTestSupport {
    static final ObjectMapper JSON = new ObjectMapper();

    private DeduplicateTestSupport() {
    }

    /** The Contact id of a seed person (its key, e.g. P123 → 003P123). */
    static String contactId(SeedData.Person p) {
        return "003" + p.key();
    }

    /** Seed people as a JSON array of Salesforce-like Contact records. */
    static byte[] contactsJson(List<SeedData.Person> people) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream(people.size() * 300);
        try (JsonGenerator g = JSON.getFactory().createGenerator(out)) {
            g.writeStartArray();
            for (SeedData.Person p : people) {
                g.writeStartObject();
                g.writeStringField("Id", contactId(p));
                g.writeStringField("FirstName", p.firstName());
                g.writeStringField("LastName", p.lastName());
                g.writeStringField("Email", p.email());
                g.writeStringField("Phone", p.phone());
                g.writeStringField("MobilePhone", p.mobile());
                g.writeStringField("Title", p.title());
                g.writeStringField("AccountId", p.companyKey() == null ? null : "001" + p.companyKey());
                g.writeStringField("MailingCity", p.city());
                g.writeStringField("MailingCountry", p.country());
                g.writeStringField("LeadSource", p.leadSource());
                g.writeStringField("LastModifiedDate", p.modifiedAt().toString());
                g.writeEndObject();
            }
            g.writeEndArray();
        }
        return out.toByteArray();
    }

    /** Records of all FlowFiles of a relationship. */
    static List<JsonNode> records(TestRunner runner, Relationship relationship) throws IOException {
        List<JsonNode> records = new java.util.ArrayList<>();
        for (MockFlowFile flowFile : runner.getFlowFilesForRelationship(relationship)) {
            for (JsonNode node : JSON.readTree(flowFile.toByteArray())) {
                records.add(node);
            }
        }
        return records;
    }

    /**
     * Streams the records of a relationship and puts each one's {@code idField} → {@code valueField} into {@code out}
     * (no trees: the quality test also runs in small heaps).
     */
    static void collect(TestRunner runner, Relationship relationship, String idField, String valueField, Map<String, String> out)
            throws IOException {
        for (MockFlowFile flowFile : runner.getFlowFilesForRelationship(relationship)) {
            try (com.fasterxml.jackson.core.JsonParser parser = JSON.getFactory().createParser(flowFile.getContentStream())) {
                String id = null;
                String value = null;
                int depth = 0;
                for (com.fasterxml.jackson.core.JsonToken t = parser.nextToken(); t != null; t = parser.nextToken()) {
                    if (t == com.fasterxml.jackson.core.JsonToken.START_OBJECT) {
                        depth++;
                        if (depth == 1) {
                            id = null;
                            value = null;
                        }
                    } else if (t == com.fasterxml.jackson.core.JsonToken.END_OBJECT) {
                        depth--;
                        if (depth == 0 && id != null) {
                            out.put(id, value);
                        }
                    } else if (t == com.fasterxml.jackson.core.JsonToken.FIELD_NAME && depth == 1) {
                        String name = parser.currentName();
                        parser.nextToken();
                        if (name.equals(idField)) {
                            id = parser.getValueAsString();
                        } else if (name.equals(valueField)) {
                            value = parser.getValueAsString();
                        } else {
                            parser.skipChildren();
                        }
                    }
                }
            }
        }
    }

    static long count(TestRunner runner, Relationship relationship) {
        return runner.getFlowFilesForRelationship(relationship).stream().mapToLong(f -> Long.parseLong(f.getAttribute("record.count"))).sum();
    }

    /** Pairwise precision, recall and F1 of a predicted clustering against the truth (both: record id → cluster). */
    record Quality(double precision, double recall, long truePairs, long predictedPairs, long correctPairs) {
        double f1() {
            return precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall);
        }

        String format() {
            return String.format(Locale.ROOT, "precision %.4f  recall %.4f  F1 %.4f  (pairs: true %d, predicted %d, correct %d)",
                    precision, recall, f1(), truePairs, predictedPairs, correctPairs);
        }
    }

    static Quality quality(Map<String, String> predicted, Map<String, String> truth) {
        Map<String, Long> predictedSizes = new HashMap<>();
        Map<String, Long> trueSizes = new HashMap<>();
        Map<String, Long> both = new HashMap<>();
        for (Map.Entry<String, String> e : truth.entrySet()) {
            String p = predicted.getOrDefault(e.getKey(), "self:" + e.getKey());
            predictedSizes.merge(p, 1L, Long::sum);
            trueSizes.merge(e.getValue(), 1L, Long::sum);
            both.merge(p + "\u0000" + e.getValue(), 1L, Long::sum);
        }
        long predictedPairs = predictedSizes.values().stream().mapToLong(n -> n * (n - 1) / 2).sum();
        long truePairs = trueSizes.values().stream().mapToLong(n -> n * (n - 1) / 2).sum();
        long correct = both.values().stream().mapToLong(n -> n * (n - 1) / 2).sum();
        return new Quality(predictedPairs == 0 ? 1 : (double) correct / predictedPairs, truePairs == 0 ? 1 : (double) correct / truePairs,
                truePairs, predictedPairs, correct);
    }
}
