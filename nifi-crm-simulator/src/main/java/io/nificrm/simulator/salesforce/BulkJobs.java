package io.nificrm.simulator.salesforce;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.csv.CsvMapper;
import com.fasterxml.jackson.dataformat.csv.CsvParser;
import com.fasterxml.jackson.dataformat.csv.CsvSchema;
import io.nificrm.simulator.http.BadRequestException;
import io.nificrm.simulator.http.Json;
import io.nificrm.simulator.http.SimRequest;
import io.nificrm.simulator.http.SimResponse;
import io.nificrm.simulator.store.ObjectStore;
import io.nificrm.simulator.store.SimField;
import io.nificrm.simulator.store.SimRecord;

import java.io.IOException;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Function;

/**
 * Bulk API 2.0 jobs: ingest (create, upload CSV, UploadComplete, poll, successful/failed/unprocessed results as CSV)
 * and query (create, poll, CSV results paged with Sforce-Locator). Jobs run in the background after UploadComplete,
 * so clients really have to poll; results are fetched too early get 412 JOB_NOT_COMPLETE.
 */
final class BulkJobs {
    private static final CsvMapper CSV = new CsvMapper().enable(CsvParser.Feature.WRAP_AS_ARRAY);
    /** Bulk CSV writes this for "set to null"; an empty cell means "leave unchanged". */
    static final String NULL_MARKER = "#N/A";

    private final SalesforcePersona persona;
    private final Map<String, Job> jobs = new ConcurrentHashMap<>();
    private final ExecutorService worker = Executors.newVirtualThreadPerTaskExecutor();

    BulkJobs(SalesforcePersona persona) {
        this.persona = persona;
    }

    private static final class Job {
        final String id = "750" + UUID.randomUUID().toString().replace("-", "").substring(0, 15);
        final String object;
        final String operation;
        final String externalIdField;
        final String query;
        final StringBuilder csv = new StringBuilder();
        volatile String state;
        volatile String errorMessage;
        final List<Map<String, String>> successes = new ArrayList<>();
        final List<Map<String, String>> failures = new ArrayList<>();
        volatile List<String> columns = List.of();
        volatile List<List<String>> rows = List.of();

        Job(String object, String operation, String externalIdField, String query, String state) {
            this.object = object;
            this.operation = operation;
            this.externalIdField = externalIdField;
            this.query = query;
            this.state = state;
        }
    }

    // ---- ingest ----

    SimResponse createIngest(SimRequest request) {
        JsonNode body = request.json();
        String object = body.path("object").asText(null);
        String operation = body.path("operation").asText(null);
        if (object == null || persona.store(object).isEmpty()) {
            return persona.error(400, "INVALIDENTITY", "Entity '" + object + "' is not supported by the Bulk API");
        }
        if (!List.of("insert", "update", "upsert", "delete", "hardDelete").contains(operation)) {
            return persona.error(400, "INVALIDJOB", "Invalid operation: " + operation);
        }
        String extId = body.path("externalIdFieldName").asText(null);
        if (operation.equals("upsert") && (extId == null || persona.store(object).orElseThrow().schema().field(extId)
                .filter(SimField::externalId).isEmpty())) {
            return persona.error(400, "INVALIDJOB", "An upsert job needs externalIdFieldName naming an external id field of " + object);
        }
        Job job = new Job(object, operation, extId, null, "Open");
        jobs.put(job.id, job);
        return SimResponse.json(200, info(job, "ingest"));
    }

    SimResponse upload(SimRequest request) {
        Job job = jobs.get(request.pathGroup(2));
        if (job == null) {
            return persona.error(404, "NOT_FOUND", "Unknown job");
        }
        if (!job.state.equals("Open")) {
            return persona.error(409, "INVALIDJOBSTATE", "Data can only be uploaded to an Open job");
        }
        synchronized (job) {
            job.csv.append(request.bodyText());
        }
        return SimResponse.empty(201);
    }

    SimResponse changeState(SimRequest request) {
        Job job = jobs.get(request.pathGroup(2));
        if (job == null) {
            return persona.error(404, "NOT_FOUND", "Unknown job");
        }
        String state = request.json().path("state").asText();
        if (state.equals("Aborted")) {
            job.state = "Aborted";
        } else if (state.equals("UploadComplete") && job.state.equals("Open")) {
            job.state = "UploadComplete";
            worker.submit(() -> process(job));
        } else {
            return persona.error(400, "INVALIDJOBSTATE", "Cannot move the job from " + job.state + " to " + state);
        }
        return SimResponse.json(200, info(job, "ingest"));
    }

    SimResponse status(SimRequest request, String kind) {
        Job job = jobs.get(request.pathGroup(2));
        return job == null ? persona.error(404, "NOT_FOUND", "Unknown job") : SimResponse.json(200, info(job, kind));
    }

    SimResponse results(SimRequest request, boolean successful) {
        Job job = jobs.get(request.pathGroup(2));
        if (job == null) {
            return persona.error(404, "NOT_FOUND", "Unknown job");
        }
        if (!job.state.equals("JobComplete") && !job.state.equals("Failed")) {
            return persona.error(412, "JOB_NOT_COMPLETE", "Job is not complete: " + job.state);
        }
        List<Map<String, String>> rows = successful ? job.successes : job.failures;
        List<String> header = new ArrayList<>(successful ? List.of("sf__Id", "sf__Created") : List.of("sf__Id", "sf__Error"));
        header.addAll(job.columns);
        return SimResponse.text(200, "text/csv", csv(header, rows));
    }

    SimResponse unprocessed(SimRequest request) {
        Job job = jobs.get(request.pathGroup(2));
        if (job == null) {
            return persona.error(404, "NOT_FOUND", "Unknown job");
        }
        return SimResponse.text(200, "text/csv", String.join(",", job.columns) + "\n");
    }

    private void process(Job job) {
        job.state = "InProgress";
        try {
            List<List<String>> parsed;
            synchronized (job) {
                parsed = parse(job.csv.toString());
            }
            if (parsed.isEmpty()) {
                throw new BadRequestException("The uploaded CSV has no header row");
            }
            job.columns = parsed.get(0);
            ObjectStore store = persona.store(job.object).orElseThrow();
            for (List<String> row : parsed.subList(1, parsed.size())) {
                Map<String, String> cells = new LinkedHashMap<>();
                for (int c = 0; c < job.columns.size(); c++) {
                    cells.put(job.columns.get(c), c < row.size() ? row.get(c) : "");
                }
                SalesforcePersona.Outcome outcome = persona.writeOne(store, job.operation, job.externalIdField, wireValues(cells),
                        "bulk");
                Map<String, String> result = new LinkedHashMap<>();
                if (outcome.success()) {
                    result.put("sf__Id", outcome.id());
                    result.put("sf__Created", Boolean.toString(outcome.created()));
                    result.putAll(cells);
                    synchronized (job.successes) {
                        job.successes.add(result);
                    }
                } else {
                    result.put("sf__Id", "");
                    result.put("sf__Error", outcome.errorCode() + ":" + outcome.errorMessage());
                    result.putAll(cells);
                    synchronized (job.failures) {
                        job.failures.add(result);
                    }
                }
            }
            job.state = "JobComplete";
        } catch (RuntimeException e) {
            job.errorMessage = e.getMessage();
            job.state = "Failed";
        }
    }

    /** CSV cells to wire values: empty = not sent, {@code #N/A} = null; relationship columns become nested references. */
    private static Map<String, Object> wireValues(Map<String, String> cells) {
        Map<String, Object> values = new LinkedHashMap<>();
        cells.forEach((column, cell) -> {
            if (cell.isEmpty()) {
                return;
            }
            Object value = cell.equals(NULL_MARKER) ? null : cell;
            int dot = column.indexOf('.');
            if (dot > 0) {
                ObjectNode reference = Json.object();
                reference.put(column.substring(dot + 1), cell);
                values.put(column.substring(0, dot), reference);
            } else {
                values.put(column, value);
            }
        });
        return values;
    }

    // ---- query ----

    SimResponse createQuery(SimRequest request, Function<String, List<SimRecord>> runQuery, Function<String, List<String>> fieldsOf) {
        JsonNode body = request.json();
        String operation = body.path("operation").asText("query");
        String soql = body.path("query").asText(null);
        if (soql == null || !(operation.equals("query") || operation.equals("queryAll"))) {
            return persona.error(400, "INVALIDJOB", "A query job needs operation query or queryAll and a query");
        }
        List<SimRecord> matched = runQuery.apply((operation.equals("queryAll") ? "ALL:" : "LIVE:") + soql);
        Job job = new Job(null, operation, null, soql, "UploadComplete");
        job.columns = fieldsOf.apply(soql);
        List<List<String>> rows = new ArrayList<>(matched.size());
        for (SimRecord record : matched) {
            rows.add(persona.csvRow(record, soql, job.columns));
        }
        job.rows = rows;
        jobs.put(job.id, job);
        worker.submit(() -> job.state = "JobComplete");
        return SimResponse.json(200, info(job, "query"));
    }

    SimResponse queryResults(SimRequest request) {
        Job job = jobs.get(request.pathGroup(2));
        if (job == null || job.query == null) {
            return persona.error(404, "NOT_FOUND", "Unknown job");
        }
        if (!job.state.equals("JobComplete")) {
            return persona.error(412, "JOB_NOT_COMPLETE", "Job is not complete: " + job.state);
        }
        int start = request.param("locator") == null || request.param("locator").isEmpty() ? 0 : Integer.parseInt(request.param("locator"));
        int max = Integer.parseInt(request.param("maxRecords", "50000"));
        int end = Math.min(job.rows.size(), start + max);
        StringWriter out = new StringWriter();
        out.append(csvLine(job.columns));
        for (List<String> row : job.rows.subList(start, end)) {
            out.append(csvLine(row));
        }
        return SimResponse.text(200, "text/csv", out.toString())
                .header("Sforce-Locator", end >= job.rows.size() ? "null" : Integer.toString(end))
                .header("Sforce-NumberOfRecords", Integer.toString(end - start));
    }

    private ObjectNode info(Job job, String kind) {
        ObjectNode node = Json.object();
        node.put("id", job.id);
        node.put("operation", job.operation);
        if (job.object != null) {
            node.put("object", job.object);
        }
        node.put("state", job.state);
        node.put("contentType", "CSV");
        node.put("apiVersion", 62.0);
        node.put("jobType", "V2" + (kind.equals("query") ? "Query" : "Ingest"));
        node.put("numberRecordsProcessed", job.query != null ? job.rows.size() : job.successes.size() + job.failures.size());
        node.put("numberRecordsFailed", job.failures.size());
        if (job.errorMessage != null) {
            node.put("errorMessage", job.errorMessage);
        }
        return node;
    }

    private static List<List<String>> parse(String csv) {
        try (MappingIterator<List<String>> it = CSV.readerForListOf(String.class).readValues(csv.getBytes(StandardCharsets.UTF_8))) {
            List<List<String>> rows = new ArrayList<>();
            while (it.hasNext()) {
                List<String> row = it.next();
                if (!(row.size() == 1 && row.get(0).isEmpty())) {
                    rows.add(row);
                }
            }
            return rows;
        } catch (IOException | RuntimeException e) {
            throw new BadRequestException("The uploaded data is not valid CSV: " + e.getMessage());
        }
    }

    private static String csv(List<String> header, List<Map<String, String>> rows) {
        StringWriter out = new StringWriter();
        out.append(csvLine(header));
        for (Map<String, String> row : rows) {
            List<String> cells = new ArrayList<>();
            header.forEach(h -> cells.add(row.getOrDefault(h, "")));
            out.append(csvLine(cells));
        }
        return out.toString();
    }

    static String csvLine(List<String> cells) {
        try {
            return CSV.writer(CsvSchema.emptySchema().withLineSeparator("\n")).writeValueAsString(cells);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
