package io.nificrm.services.salesforce;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.csv.CsvMapper;
import com.fasterxml.jackson.dataformat.csv.CsvParser;
import com.fasterxml.jackson.dataformat.csv.CsvSchema;
import io.nificrm.api.CrmException;
import io.nificrm.api.CrmField;
import io.nificrm.api.CrmObjectSchema;
import io.nificrm.api.CrmPage;
import io.nificrm.api.CrmQuery;
import io.nificrm.api.CrmWriteRequest;
import io.nificrm.api.CrmWriteResult;
import io.nificrm.api.WriteOperation;
import io.nificrm.services.http.CrmHttpClient;
import io.nificrm.services.records.Cursors;
import io.nificrm.services.records.RecordValues;
import io.nificrm.services.records.WireValues;
import io.nificrm.services.records.WriteFields;
import org.apache.nifi.serialization.record.MapRecord;
import org.apache.nifi.serialization.record.Record;
import org.apache.nifi.serialization.record.RecordSchema;

import java.io.IOException;
import java.net.http.HttpRequest;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Bulk API 2.0: large writes as one ingest job (create, upload CSV, UploadComplete, poll, fetch successful and failed
 * results, map them back to the input records), and full reads as a query job whose CSV results are paged by
 * locator. Jobs live for days on the server, so a query cursor (job id + locator) survives restarts.
 */
final class SalesforceBulk {
    private static final CsvMapper CSV = new CsvMapper().enable(CsvParser.Feature.WRAP_AS_ARRAY);
    private static final String NULL_MARKER = "#N/A";

    private final SalesforceConnectionService service;
    private final Duration pollInterval;
    private final Duration maxWait;

    SalesforceBulk(SalesforceConnectionService service, Duration pollInterval, Duration maxWait) {
        this.service = service;
        this.pollInterval = pollInterval;
        this.maxWait = maxWait;
    }

    // ---- ingest ----

    List<CrmWriteResult> write(CrmObjectSchema schema, CrmWriteRequest request, String key) {
        CrmWriteResult[] results = new CrmWriteResult[request.records().size()];
        List<Map<String, Object>> rows = new ArrayList<>();
        List<Integer> sent = new ArrayList<>();
        Set<String> columns = new LinkedHashSet<>();
        for (int i = 0; i < results.length; i++) {
            Record record = request.records().get(i);
            Map<String, Object> values;
            if (request.operation() == WriteOperation.DELETE) {
                values = Map.of(schema.idField(), record.getValue(key));
            } else {
                WriteFields.Outcome fields = WriteFields.of(record, schema, request.operation() == WriteOperation.UPDATE ? Set.of(key) : Set.of());
                if (!fields.unknown().isEmpty()) {
                    results[i] = CrmWriteResult.rejected("UNKNOWN_FIELD", "Object " + schema.name() + " has no field(s) " + fields.unknown());
                    continue;
                }
                values = fields.values();
            }
            Object keyValue = values.get(key);
            if (request.operation() != WriteOperation.INSERT && (keyValue == null || keyValue.toString().isBlank())) {
                results[i] = CrmWriteResult.rejected("REQUIRED_FIELD_MISSING", "The key field " + key + " has no value");
                continue;
            }
            String badField = unconvertible(schema, values);
            if (badField != null) {
                results[i] = CrmWriteResult.rejected("INVALID_VALUE", "The value of " + badField + " does not fit its type in " + schema.name());
                continue;
            }
            columns.addAll(values.keySet());
            rows.add(values);
            sent.add(i);
        }
        if (sent.isEmpty()) {
            return Arrays.asList(results);
        }
        List<String> header = new ArrayList<>(columns);
        String operation = switch (request.operation()) {
            case UPSERT -> "upsert";
            case INSERT -> "insert";
            case UPDATE -> "update";
            case DELETE -> "delete";
        };
        ObjectNode create = CrmHttpClient.JSON.createObjectNode().put("object", schema.name()).put("operation", operation)
                .put("contentType", "CSV").put("lineEnding", "LF").put("columnDelimiter", "COMMA");
        if (request.operation() == WriteOperation.UPSERT) {
            create.put("externalIdFieldName", key);
        }
        String what = "bulk " + operation + " of " + schema.name();
        String jobId = service.client().sendJson(t -> service.json(t, "POST", "/jobs/ingest", create), "create the " + what + " job", false)
                .path("id").asText();
        String csv = csv(schema, header, rows);
        service.client().send(t -> service.request(t, "/services/data/v" + service.apiVersion() + "/jobs/ingest/" + jobId + "/batches")
                .header("Content-Type", "text/csv").PUT(HttpRequest.BodyPublishers.ofString(csv)), "upload the " + what, true);
        service.client().sendJson(t -> service.json(t, "PATCH", "/jobs/ingest/" + jobId,
                CrmHttpClient.JSON.createObjectNode().put("state", "UploadComplete")), "close the " + what + " job", true);
        JsonNode job = await("/jobs/ingest/" + jobId, what);
        if (job.path("state").asText().equals("Failed") || job.path("state").asText().equals("Aborted")) {
            String reason = "The " + what + " job " + job.path("state").asText().toLowerCase() + ": " + job.path("errorMessage").asText("no reason given");
            sent.forEach(i -> results[i] = CrmWriteResult.failedTransiently("BULK_JOB_FAILED", reason));
            return Arrays.asList(results);
        }
        // Match result rows to inputs by the values they echo back: the key column, or every column for inserts.
        Map<String, Deque<Integer>> pending = new HashMap<>();
        for (int j = 0; j < sent.size(); j++) {
            pending.computeIfAbsent(matchKey(request.operation(), key, header, rows.get(j), schema), k -> new ArrayDeque<>()).add(sent.get(j));
        }
        for (List<String> row : fetchCsv("/jobs/ingest/" + jobId + "/successfulResults", what)) {
            Integer i = take(pending, resultKey(request.operation(), key, header, row));
            if (i != null) {
                String id = row.get(0);
                boolean created = Boolean.parseBoolean(row.get(1));
                results[i] = switch (request.operation()) {
                    case DELETE -> CrmWriteResult.deleted(id);
                    case UPDATE -> CrmWriteResult.updated(id);
                    default -> created ? CrmWriteResult.created(id) : CrmWriteResult.updated(id);
                };
            }
        }
        for (List<String> row : fetchCsv("/jobs/ingest/" + jobId + "/failedResults", what)) {
            Integer i = take(pending, resultKey(request.operation(), key, header, row));
            if (i != null) {
                String error = row.get(1);
                int colon = error.indexOf(':');
                String code = colon > 0 ? error.substring(0, colon) : "BULK_ERROR";
                String message = colon > 0 ? error.substring(colon + 1) : error;
                results[i] = SalesforceWriter.TRANSIENT_CODES.contains(code) ? CrmWriteResult.failedTransiently(code, message)
                        : CrmWriteResult.rejected(code, message);
            }
        }
        pending.values().forEach(q -> q.forEach(i -> results[i] = CrmWriteResult.failedTransiently("UNPROCESSED",
                "Salesforce did not process this record in the bulk job")));
        return Arrays.asList(results);
    }

    private static Integer take(Map<String, Deque<Integer>> pending, String key) {
        Deque<Integer> queue = pending.get(key);
        return queue == null ? null : queue.poll();
    }

    private static String matchKey(WriteOperation operation, String key, List<String> header, Map<String, Object> row, CrmObjectSchema schema) {
        if (operation == WriteOperation.INSERT) {
            List<String> cells = new ArrayList<>();
            header.forEach(h -> cells.add(cell(row.get(h), schema.field(h).map(CrmField::type).orElse(null), row.containsKey(h))));
            return String.join("\u0001", cells);
        }
        return String.valueOf(row.get(key)).trim().toLowerCase();
    }

    /** A result row: sf__Id, sf__Created or sf__Error, then the uploaded columns. */
    private static String resultKey(WriteOperation operation, String key, List<String> header, List<String> row) {
        List<String> echoed = row.subList(2, row.size());
        if (operation == WriteOperation.INSERT) {
            return String.join("\u0001", echoed);
        }
        int column = header.indexOf(key);
        return column < 0 || column >= echoed.size() ? "" : echoed.get(column).trim().toLowerCase();
    }

    private static String csv(CrmObjectSchema schema, List<String> header, List<Map<String, Object>> rows) {
        StringBuilder out = new StringBuilder(line(header));
        for (Map<String, Object> row : rows) {
            List<String> cells = new ArrayList<>(header.size());
            header.forEach(h -> cells.add(cell(row.get(h), schema.field(h).map(CrmField::type).orElse(null), row.containsKey(h))));
            out.append(line(cells));
        }
        return out.toString();
    }

    /** The first field whose value cannot be written as its type, or null. */
    private static String unconvertible(CrmObjectSchema schema, Map<String, Object> values) {
        for (var entry : values.entrySet()) {
            try {
                cell(entry.getValue(), schema.field(entry.getKey()).map(CrmField::type).orElse(null), true);
            } catch (RuntimeException e) {
                return entry.getKey();
            }
        }
        return null;
    }

    /**
     * A value as a Bulk CSV cell: a present null becomes #N/A (clear the field), an absent one stays empty. A null
     * relationship reference ({@code Account.External_Id__c}) means "no parent" and stays empty too.
     */
    private static String cell(Object value, io.nificrm.api.CrmFieldType type, boolean present) {
        if (value == null) {
            return present && type != null ? NULL_MARKER : "";
        }
        Object json = RecordValues.toJson(value, type);
        return json.toString();
    }

    private static String line(List<String> cells) {
        try {
            return CSV.writer(CsvSchema.emptySchema().withLineSeparator("\n")).writeValueAsString(cells);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    // ---- query ----

    CrmPage query(CrmObjectSchema schema, List<CrmField> fields, RecordSchema recordSchema, CrmQuery query, ObjectNode cursor) {
        String jobId;
        String locator = null;
        if (cursor != null && cursor.hasNonNull("bulkJob")) {
            jobId = cursor.get("bulkJob").asText();
            locator = cursor.path("locator").asText(null);
        } else {
            String soql = SalesforceSchemas.soql(schema, fields, query, null, false);
            ObjectNode create = CrmHttpClient.JSON.createObjectNode().put("operation", query.includeDeleted() ? "queryAll" : "query")
                    .put("query", soql);
            jobId = service.client().sendJson(t -> service.json(t, "POST", "/jobs/query", create),
                    "create a bulk query of " + schema.name(), false).path("id").asText();
            await("/jobs/query/" + jobId, "bulk query of " + schema.name());
        }
        String path = "/jobs/query/" + jobId + "/results?maxRecords=" + query.pageSize() + (locator == null ? "" : "&locator=" + locator);
        CrmHttpClient.Response answer = service.client().send(t -> service.get(t, path).header("Accept", "text/csv"),
                "read bulk query results of " + schema.name(), true);
        List<List<String>> rows = parse(answer.body(), "bulk query results of " + schema.name());
        List<Record> records = new ArrayList<>();
        if (!rows.isEmpty()) {
            List<String> header = rows.get(0);
            for (List<String> row : rows.subList(1, rows.size())) {
                records.add(toRecord(recordSchema, fields, header, row, query.includeDeleted()));
            }
        }
        String next = answer.headers().firstValue("Sforce-Locator").orElse("null");
        String nextCursor = next.equals("null") || next.isEmpty() ? null
                : Cursors.encode(Cursors.newCursor().put("bulkJob", jobId).put("locator", next));
        return new CrmPage(recordSchema, records, nextCursor);
    }

    private static Record toRecord(RecordSchema schema, List<CrmField> fields, List<String> header, List<String> row, boolean includeDeleted) {
        Map<String, Object> values = new HashMap<>();
        for (CrmField field : fields) {
            int column = header.indexOf(field.name());
            String text = column < 0 || column >= row.size() ? null : row.get(column);
            values.put(field.name(), text == null || (text.isEmpty() && !field.type().isText()) ? null : WireValues.fromText(field.type(), text));
        }
        if (includeDeleted) {
            int column = header.indexOf("IsDeleted");
            values.put(io.nificrm.api.CrmConnectionService.DELETED_FIELD, column >= 0 && column < row.size() && Boolean.parseBoolean(row.get(column)));
        }
        return new MapRecord(schema, values);
    }

    // ---- shared ----

    /** Polls a job until it leaves the running states, or gives up after maxWait. */
    private JsonNode await(String path, String what) {
        long deadline = System.nanoTime() + maxWait.toNanos();
        while (true) {
            JsonNode job = service.client().sendJson(t -> service.get(t, path), "poll the " + what + " job", true);
            String state = job.path("state").asText();
            if (state.equals("JobComplete") || state.equals("Failed") || state.equals("Aborted")) {
                return job;
            }
            if (System.nanoTime() > deadline) {
                throw new CrmException(CrmException.Reason.UNAVAILABLE, "The " + what + " job was still " + state
                        + " after " + maxWait.toSeconds() + " s");
            }
            try {
                Thread.sleep(pollInterval.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new CrmException(CrmException.Reason.UNAVAILABLE, "Interrupted while waiting for the " + what + " job");
            }
        }
    }

    private List<List<String>> fetchCsv(String path, String what) {
        CrmHttpClient.Response answer = service.client().send(t -> service.get(t, path).header("Accept", "text/csv"),
                "read the results of the " + what, true);
        List<List<String>> rows = parse(answer.body(), "results of the " + what);
        return rows.isEmpty() ? List.of() : rows.subList(1, rows.size());
    }

    private static List<List<String>> parse(byte[] body, String what) {
        try (MappingIterator<List<String>> it = CSV.readerForListOf(String.class).readValues(body)) {
            List<List<String>> rows = new ArrayList<>();
            while (it.hasNext()) {
                List<String> row = it.next();
                if (!(row.size() == 1 && row.get(0).isEmpty())) {
                    rows.add(row);
                }
            }
            return rows;
        } catch (IOException | RuntimeException e) {
            throw new CrmException(CrmException.Reason.MALFORMED_RESPONSE, "Salesforce sent " + what + " that are not valid CSV");
        }
    }
}
