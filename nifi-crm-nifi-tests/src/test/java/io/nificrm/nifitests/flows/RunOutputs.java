package io.nificrm.nifitests.flows;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * What a migration run left in its review and report directories: the run reports (one per object) and the
 * reviewable records, grouped by object, stage and relationship as StoreCrmReview names the files
 * ({@code <object>-<stage>-<relationship>-<load>-<uuid>.json}).
 */
public final class RunOutputs {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Map<String, JsonNode> reports = new LinkedHashMap<>();
    private final Map<String, List<JsonNode>> records = new LinkedHashMap<>();

    private RunOutputs() {
    }

    public static RunOutputs read(Path reviewDirectory, Path reportDirectory) {
        RunOutputs outputs = new RunOutputs();
        for (Path file : jsonFiles(reportDirectory)) {
            JsonNode report = readJson(file);
            outputs.reports.put(report.path("object").asText(), report);
        }
        for (Path file : jsonFiles(reviewDirectory)) {
            String[] parts = file.getFileName().toString().split("-", 4);
            if (parts.length < 4) {
                continue;
            }
            String key = parts[0] + "/" + parts[1] + "." + parts[2];
            readJson(file).forEach(r -> outputs.records.computeIfAbsent(key, k -> new ArrayList<>()).add(r));
        }
        return outputs;
    }

    /** Report files present (one per finished object load). */
    public static int reportCount(Path reportDirectory) {
        return jsonFiles(reportDirectory).size();
    }

    /** The report of an object (as TrackCrmLoad names it: the target object, e.g. companies). */
    public JsonNode report(String object) {
        JsonNode report = reports.get(object);
        if (report == null) {
            throw new AssertionError("No report for " + object + "; reports: " + reports.keySet());
        }
        return report;
    }

    public Map<String, JsonNode> reports() {
        return reports;
    }

    /** Reviewable records of one object (as the FlowFile's crm.object named it) that ended at stage.relationship. */
    public List<JsonNode> records(String object, String stageAndRelationship) {
        return records.getOrDefault(object + "/" + stageAndRelationship, List.of());
    }

    public Map<String, List<JsonNode>> all() {
        return records;
    }

    private static List<Path> jsonFiles(Path dir) {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(f -> f.getFileName().toString().endsWith(".json") && !f.getFileName().toString().startsWith("."))
                    .sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static JsonNode readJson(Path file) {
        try {
            if (Files.size(file) == 0) {
                // e.g. a partition or trigger FlowFile (no content) that was set aside: count it as one entry
                return JSON.createArrayNode().add(JSON.createObjectNode().put("file", file.getFileName().toString()));
            }
            return JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read " + file, e);
        }
    }
}
