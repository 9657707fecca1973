package io.nificrm.nifitests.flows;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.nificrm.nifitests.flows.FlowBuilder.Funnel;
import io.nificrm.nifitests.flows.FlowBuilder.Processor;
import io.nificrm.nifitests.flows.FlowBuilder.Service;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static io.nificrm.nifitests.flows.FlowBuilder.CACHE;
import static io.nificrm.nifitests.flows.FlowBuilder.DBCP;
import static io.nificrm.nifitests.flows.FlowBuilder.OURS;
import static io.nificrm.nifitests.flows.FlowBuilder.RECORD_SERVICES;
import static io.nificrm.nifitests.flows.FlowBuilder.SERVICES_API;
import static io.nificrm.nifitests.flows.FlowBuilder.STANDARD;

/**
 * The flow definitions shipped in {@code templates/}, described once here so that the variants stay consistent.
 * {@link TemplatesAreUpToDateTest} checks that the JSON files are exactly what this class generates (and rewrites
 * them with {@code -Dtemplates.write=true}); {@code FlowDefinitionCheck} checks them statically; the real-NiFi tests
 * run them.
 */
public final class FlowTemplates {

    /** A template file: its path under {@code templates/} and its content. */
    public record Template(String path, ObjectNode json) {
    }

    public static final String FULL_MIGRATION_HUBSPOT = "full-migration/salesforce-to-hubspot.json";
    public static final String FULL_MIGRATION_POSTGRESQL = "full-migration/salesforce-to-postgresql.json";
    public static final String ONGOING_SYNC_HUBSPOT = "ongoing-sync/salesforce-to-hubspot.json";
    public static final String FILE_IMPORT_HUBSPOT = "file-import/csv-to-hubspot.json";
    public static final String ONGOING_SYNC_PUSH_HUBSPOT_TO_SALESFORCE = "ongoing-sync-push/hubspot-to-salesforce.json";
    public static final String ONGOING_SYNC_QUEUE_SALESFORCE_TO_HUBSPOT = "ongoing-sync-queue/salesforce-to-hubspot.json";
    public static final String TWO_WAY_SYNC_SALESFORCE_HUBSPOT = "two-way-sync/salesforce-and-hubspot.json";
    public static final String RECONCILE_SALESFORCE_TO_HUBSPOT = "reconcile/salesforce-to-hubspot.json";

    static final String OLDEST_FIRST = "org.apache.nifi.prioritizer.OldestFlowFileFirstPrioritizer";
    static final String FIFO = "org.apache.nifi.prioritizer.FirstInFirstOutPrioritizer";

    static final String P = "io.nificrm.processors.";
    static final String CRM_API = "io.nificrm.api.CrmConnectionService";

    /** Data queues between record processors: a few FlowFiles of records each, so memory and disk stay bounded. */
    static final long DATA_QUEUE_OBJECTS = 20;
    static final String DATA_QUEUE_SIZE = "256 MB";
    /** Retries of a write the target may accept later (throttled, timed out, unavailable) before the dead letter. */
    static final int UPSERT_RETRIES = 5;

    private FlowTemplates() {
    }

    public static List<Template> all() {
        return List.of(
                new Template(FULL_MIGRATION_HUBSPOT, fullMigration(Target.HUBSPOT)),
                new Template(FULL_MIGRATION_POSTGRESQL, fullMigration(Target.POSTGRESQL)),
                new Template(ONGOING_SYNC_HUBSPOT, ongoingSync()),
                new Template(FILE_IMPORT_HUBSPOT, fileImport()),
                new Template(ONGOING_SYNC_PUSH_HUBSPOT_TO_SALESFORCE, SyncFlowTemplates.pushSync()),
                new Template(ONGOING_SYNC_QUEUE_SALESFORCE_TO_HUBSPOT, SyncFlowTemplates.queueSync()),
                new Template(TWO_WAY_SYNC_SALESFORCE_HUBSPOT, SyncFlowTemplates.twoWaySync()),
                new Template(RECONCILE_SALESFORCE_TO_HUBSPOT, SyncFlowTemplates.reconcile()));
    }

    // ---- targets ---------------------------------------------------------------------------------------------------

    /** What differs between the targets of the same flow: the service, object names, presets, field names. */
    enum Target {
        HUBSPOT("HubSpot", "hubspot", Map.of("accounts", "companies", "contacts", "contacts", "opportunities", "deals")),
        POSTGRESQL("PostgreSQL", "postgresql", Map.of("accounts", "accounts", "contacts", "contacts", "opportunities", "opportunities"));

        final String label;
        final String system;
        final Map<String, String> objects;

        Target(String label, String system, Map<String, String> objects) {
            this.label = label;
            this.system = system;
            this.objects = objects;
        }
    }

    static final List<String> STAGES = List.of("accounts", "contacts", "opportunities");
    static final Map<String, String> SALESFORCE_OBJECTS = Map.of("accounts", "Account", "contacts", "Contact", "opportunities", "Opportunity");

    static void salesforceParameters(FlowBuilder flow) {
        flow.parameter("source.login.url", "https://login.salesforce.com",
                "Salesforce login URL (https://test.salesforce.com for a sandbox; the simulator's base URL in tests and the demo).");
        flow.parameter("source.client.id", null, "Consumer key of the Salesforce connected app (client credentials flow).");
        flow.sensitiveParameter("source.client.secret", "Consumer secret of the Salesforce connected app.");
    }

    static Service salesforce(FlowBuilder flow) {
        return flow.service("source", "Source CRM (Salesforce)", "io.nificrm.services.salesforce.SalesforceConnectionService", OURS, CRM_API, OURS)
                .property("Login URL", "#{source.login.url}")
                .property("Authorization Type", "client-credentials")
                .property("Client ID", "#{source.client.id}")
                .property("Client Secret", "#{source.client.secret}")
                .comments("Reads the source. Other sources: replace with the HubSpot or Dynamics 365 connection service and "
                        + "change the source.object.* and mapping.preset.* parameters.");
    }

    static void hubspotParameters(FlowBuilder flow) {
        flow.parameter("target.base.url", "https://api.hubapi.com", "HubSpot API address (the simulator's base URL in tests and the demo).");
        flow.sensitiveParameter("target.access.token", "HubSpot private app access token (scopes: crm.objects.*.read/write, crm.schemas.*.read).");
    }

    static Service hubspot(FlowBuilder flow) {
        return flow.service("target", "Target CRM (HubSpot)", "io.nificrm.services.hubspot.HubSpotConnectionService", OURS, CRM_API, OURS)
                .property("Base URL", "#{target.base.url}")
                .property("Authentication Type", "private-app")
                .property("Access Token", "#{target.access.token}")
                .comments("Writes the target. HubSpot needs a unique custom property source_id on companies, contacts and deals "
                        + "(the upsert key).");
    }

    private static void postgresqlParameters(FlowBuilder flow) {
        flow.parameter("target.jdbc.url", null, "JDBC URL of the target database, e.g. jdbc:postgresql://db.example.com:5432/crm "
                + "(tables from templates/postgres/crm-schema.sql).");
        flow.parameter("target.jdbc.user", null, "Database user.");
        flow.sensitiveParameter("target.jdbc.password", "Database password.");
        flow.parameter("target.jdbc.driver.location", null,
                "Path of the PostgreSQL JDBC driver jar on the NiFi host(s), e.g. /opt/nifi/drivers/postgresql-42.7.5.jar.");
        flow.parameter("target.jdbc.schema", "public", "Database schema holding the tables.");
    }

    private static Service postgresql(FlowBuilder flow) {
        Service pool = flow.service("dbcp", "Target database connection pool (PostgreSQL)", "org.apache.nifi.dbcp.DBCPConnectionPool",
                        DBCP, "org.apache.nifi.dbcp.DBCPService", SERVICES_API)
                .property("Database Connection URL", "#{target.jdbc.url}")
                .property("Database Driver Class Name", "org.postgresql.Driver")
                .property("database-driver-locations", "#{target.jdbc.driver.location}")
                .property("Database User", "#{target.jdbc.user}")
                .property("Password", "#{target.jdbc.password}")
                .property("Max Total Connections", "8");
        return flow.service("target", "Target database (PostgreSQL)", "io.nificrm.services.jdbc.JdbcConnectionService", OURS, CRM_API, OURS)
                .property("Database Connection Pooling Service", pool)
                .property("Schema", "#{target.jdbc.schema}")
                .comments("Writes the target tables of templates/postgres/crm-schema.sql (upsert by source_id).");
    }

    static Service jsonReader(FlowBuilder flow) {
        return flow.service("json-reader", "JSON records reader", "org.apache.nifi.json.JsonTreeReader", RECORD_SERVICES,
                        "org.apache.nifi.serialization.RecordReaderFactory", SERVICES_API)
                .property("schema-access-strategy", "infer-schema");
    }

    static Service jsonWriter(FlowBuilder flow) {
        return flow.service("json-writer", "JSON records writer", "org.apache.nifi.json.JsonRecordSetWriter", RECORD_SERVICES,
                        "org.apache.nifi.serialization.RecordSetWriterFactory", SERVICES_API)
                .property("schema-access-strategy", "inherit-record-schema")
                .property("Schema Write Strategy", "no-schema")
                .property("Pretty Print JSON", "false");
    }

    private static void cacheParameters(FlowBuilder flow, String defaultPort) {
        flow.parameter("cache.host", "localhost", "Host of the flow's map cache server (in a cluster: one node's host name, the same for all nodes).");
        flow.parameter("cache.port", defaultPort, "Port of the flow's map cache server; give every flow on a NiFi its own port.");
        flow.parameter("cache.max.entries", "1000000", "Entries the cache server keeps (match index and parent ids: a few per record).");
        flow.parameter("cache.persistence.directory", null,
                "Directory where the cache server persists its entries across restarts; unset keeps them in memory only.");
    }

    /** The map cache server and its client: the shared match index of the deduplication and the parent id cache. */
    private static Service cache(FlowBuilder flow) {
        flow.service("cache-server", "Map cache server", "org.apache.nifi.distributed.cache.server.map.MapCacheServer", CACHE,
                        "org.apache.nifi.controller.ControllerService", SERVICES_API)
                .property("Port", "#{cache.port}")
                .property("Maximum Cache Entries", "#{cache.max.entries}")
                .property("Eviction Strategy", "Least Recently Used")
                .property("Persistence Directory", "#{cache.persistence.directory}");
        return flow.service("cache-client", "Map cache (match index, parent ids)", "org.apache.nifi.distributed.cache.client.MapCacheClientService",
                        CACHE, "org.apache.nifi.distributed.cache.client.DistributedMapCacheClient", SERVICES_API)
                .property("Server Hostname", "#{cache.host}")
                .property("Server Port", "#{cache.port}")
                .property("Communications Timeout", "30 secs");
    }

    // ---- shared pieces ---------------------------------------------------------------------------------------------

    /** Dedup settings per target and object: entity type and which mapped fields play which role. */
    private static void dedupFields(Processor dedup, Target target, String stage) {
        boolean company = stage.equals("accounts");
        dedup.property("Entity Type", company ? "company" : "person");
        dedup.property("Id Field", "#{target.key.field}");
        if (company) {
            dedup.property("Company Name Field", "name");
            dedup.property("Website Field", "domain,website");
            dedup.property("Phone Fields", "phone");
            dedup.property("City Field", "city");
            dedup.property("Country Field", "country");
            dedup.property("Target Lookup Keys", "phone");
        } else if (target == Target.POSTGRESQL) {
            dedup.property("Email Field", "email");
            dedup.property("Phone Fields", "phone,mobile_phone");
            dedup.property("First Name Field", "first_name");
            dedup.property("Last Name Field", "last_name");
            dedup.property("Company Field", "account_source_id,company_name");
            dedup.property("City Field", "city");
            dedup.property("Country Field", "country");
            dedup.property("Target Lookup Keys", "email,phone");
        } else {
            dedup.property("Email Field", "email");
            dedup.property("Phone Fields", "phone,mobilephone");
            dedup.property("First Name Field", "firstname");
            dedup.property("Last Name Field", "lastname");
            dedup.property("Company Field", "associations.companies,company");
            dedup.property("City Field", "city");
            dedup.property("Country Field", "country");
            dedup.property("Target Lookup Keys", "email,phone");
        }
        dedup.property("Match Threshold", "#{dedup.match.threshold}");
        dedup.property("Review Threshold", "#{dedup.review.threshold}");
        dedup.property("Survivorship Strategy", "most_complete");
        dedup.property("Target Key Field", "#{target.key.field}");
    }

    /** Reference resolution of the upsert: children's source parent ids become the parents' target ids. */
    private static void references(Processor upsert, Target target, String stage) {
        if (target != Target.HUBSPOT) {
            return; // PostgreSQL keeps source parent ids in plain *_source_id columns
        }
        if (stage.equals("contacts") || stage.equals("opportunities")) {
            upsert.dynamicProperty("associations.companies", "#{target.object.accounts}.#{target.key.field}");
        }
        if (stage.equals("opportunities")) {
            upsert.dynamicProperty("associations.contacts", "#{target.object.contacts}.#{target.key.field}");
        }
    }

    private static void dedupParameters(FlowBuilder flow) {
        flow.parameter("dedup.match.threshold", "0.95", "Match probability (0-1) from which two records are merged into one golden record.");
        flow.parameter("dedup.review.threshold", "0.8",
                "Match probability from which an unmerged record is also set aside for review as a possible duplicate "
                        + "(it is loaded all the same). Equal to dedup.match.threshold: no review.");
    }

    /** A queue of record FlowFiles: bounded by back-pressure, oldest first. */
    static FlowBuilder.Connection data(FlowBuilder flow, FlowBuilder.Endpoint from, FlowBuilder.Endpoint to, String... relationships) {
        return flow.connect(from, to, relationships)
                .backPressure(DATA_QUEUE_OBJECTS, DATA_QUEUE_SIZE)
                .prioritizers(OLDEST_FIRST);
    }

    static Processor reviewSink(FlowBuilder flow, double x, double y) {
        Processor store = flow.processor("store-review", "Store rejects for review", P + "StoreCrmReview", OURS, x, y)
                .property("Directory", "#{review.directory}")
                .autoTerminate("success")
                .penalty("30 sec")
                .comments("Dead-letter sink: every record that did not reach the target, as JSON files named "
                        + "<object>-<stage>-<relationship>-<load>-<uuid>.json, with the reason in crm_invalid_reason, "
                        + "crm_error_code/crm_error_message or crm_failure_reason. A file that cannot be written waits in "
                        + "the failure loop until it can.");
        flow.connect(store, store, "failure").name("retry until the review directory is writable")
                .backPressure(1000, "1 GB").prioritizers(FIFO).bend(x + 420, y + 40).bend(x + 420, y + 120);
        return store;
    }

    // ---- 1. full migration -----------------------------------------------------------------------------------------

    static ObjectNode fullMigration(Target target) {
        String key = "full-migration-salesforce-to-" + target.system;
        FlowBuilder flow = new FlowBuilder(key, "Full migration: Salesforce to " + target.label,
                "Parents before children: accounts, then contacts, then opportunities. Each object: partitioned parallel fetch "
                        + "(round robin over the cluster), map with a preset, deduplicate against the target, upsert with "
                        + "bounded retries; rejects to the review directory; a run report per object. Starting the group "
                        + "starts a run. See templates/README.md.",
                "crm-migration-salesforce-to-" + target.system,
                "Parameters of the full migration Salesforce to " + target.label + " (templates/README.md explains each).");

        salesforceParameters(flow);
        if (target == Target.HUBSPOT) {
            hubspotParameters(flow);
        } else {
            postgresqlParameters(flow);
        }
        for (String stage : STAGES) {
            flow.parameter("source.object." + stage, SALESFORCE_OBJECTS.get(stage), "Source object of the " + stage + " stage.");
        }
        for (String stage : STAGES) {
            flow.parameter("target.object." + stage, target.objects.get(stage), "Target object of the " + stage + " stage.");
        }
        flow.parameter("target.key.field", "source_id",
                "Target field holding the source record id: the upsert key (unique in the target), so re-runs update instead of duplicating.");
        for (String stage : STAGES) {
            flow.parameter("mapping.preset." + stage, "salesforce-to-" + target.system + "-" + stage,
                    "MapCrmFields preset of the " + stage + " stage (io/nificrm/mappings/index.txt lists them).");
        }
        flow.parameter("partitions", "8", "Partitions per object (id ranges read in parallel): a few per node and concurrent task.");
        flow.parameter("fetch.page.size", "2000", "Records per source API call.");
        flow.parameter("fetch.batch.size", "2000", "Records per FlowFile read (a multiple of fetch.page.size); also the deduplication batch.");
        flow.parameter("upsert.batch.size", "200", "Records per write call (capped at the target's maximum: HubSpot 100, Salesforce 200).");
        dedupParameters(flow);
        cacheParameters(flow, target == Target.HUBSPOT ? "4557" : "4558");
        flow.parameter("review.directory", "/var/lib/nifi-crm/review/" + key,
                "Directory for rejected records (dead letter) and possible duplicates, one JSON file per FlowFile.");
        flow.parameter("report.directory", "/var/lib/nifi-crm/reports/" + key, "Directory for the run reports (one JSON per object and run).");
        flow.parameter("migration.rerun.period", "365 days",
                "The run starts when the group starts; the first stage starts again on its own after this long. Re-run sooner with "
                        + "'Run Once' on 'Partition accounts'.");

        Service source = salesforce(flow);
        Service targetService = target == Target.HUBSPOT ? hubspot(flow) : postgresql(flow);
        Service reader = jsonReader(flow);
        Service writer = jsonWriter(flow);
        Service cache = cache(flow);

        flow.label("Full migration Salesforce → " + target.label + ": accounts → contacts → opportunities.\n"
                + "Each stage starts when the previous one's report is out. Rejects: #{review.directory}; reports: "
                + "#{report.directory}.\nFill the parameters (Source/Target credentials first), enable the services, start the group.",
                0, -220, 1500, 90);

        double sinkX = STAGES.size() * 820 + 100;
        Processor review = reviewSink(flow, sinkX, 1150);
        Funnel rejects = flow.funnel("rejects", sinkX + 160, 900);
        flow.connect(rejects, review).name("rejected records").backPressure(1000, "1 GB").prioritizers(FIFO);

        Processor reports = flow.processor("store-reports", "Store run reports", P + "StoreCrmReview", OURS, sinkX, 1500)
                .property("Directory", "#{report.directory}")
                .property("File Name", "${now():format('yyyyMMdd-HHmmss')}-${crm.object}-report-${crm.load.id}.json")
                .autoTerminate("success")
                .comments("One JSON report per object and run: read, invalid, duplicatesMerged, review, created, updated, "
                        + "failed, retriesExhausted, elapsedSeconds, recordsPerSecond, endedBy.");
        flow.connect(reports, reports, "failure").name("retry until the report directory is writable")
                .backPressure(100, "100 MB").prioritizers(FIFO).bend(sinkX + 420, 1540).bend(sinkX + 420, 1620);

        Processor previousTracker = null;
        for (int i = 0; i < STAGES.size(); i++) {
            String stage = STAGES.get(i);
            String title = Character.toUpperCase(stage.charAt(0)) + stage.substring(1);
            double x = i * 820;

            Processor partition = flow.processor(stage + "-partition", "Partition " + stage, P + "GenerateCrmPartitions", OURS, x, 0)
                    .property("CRM Connection Service", source)
                    .property("Object", "#{source.object." + stage + "}")
                    .property("Partition By", "id")
                    .property("Partitions", "#{partitions}");
            if (previousTracker == null) {
                partition.timer("#{migration.rerun.period}").primaryNode().autoTerminate("failure")
                        .comments("Starts the run when the group starts (timer), on the primary node.");
            } else {
                partition.timer("1 sec").comments("Starts when the previous stage's report arrives (parents before children), "
                        + "on the node the report is on: once.");
                flow.connect(previousTracker, partition, "complete").name(stage + " may start: parents are loaded")
                        .backPressure(10, "10 MB").prioritizers(FIFO);
                flow.connect(partition, rejects, "failure");
            }

            Processor fetch = flow.processor(stage + "-fetch", "Fetch " + stage, P + "FetchCrmPartition", OURS, x, 250)
                    .property("CRM Connection Service", source)
                    .property("Page Size", "#{fetch.page.size}")
                    .property("Max Records Per FlowFile", "#{fetch.batch.size}")
                    .property("Record Writer", writer)
                    .tasks(4)
                    .comments("Reads partitions in parallel (4 tasks per node); a partition cycles in its queue until read.");
            flow.connect(partition, fetch, "success").name("partitions")
                    .backPressure(10000, "1 GB").prioritizers(OLDEST_FIRST).loadBalance("ROUND_ROBIN");
            flow.connect(fetch, rejects, "failure");

            Processor map = flow.processor(stage + "-map", "Map " + stage, P + "MapCrmFields", OURS, x, 500)
                    .property("Mapping Preset", "#{mapping.preset." + stage + "}")
                    .property("Target Connection Service", targetService)
                    .property("Target Object", "#{target.object." + stage + "}")
                    .property("Source Connection Service", source)
                    .property("Source Object", "#{source.object." + stage + "}")
                    .property("Record Reader", reader)
                    .property("Record Writer", writer)
                    .tasks(2);
            data(flow, fetch, map, "success");

            Processor upsert = flow.processor(stage + "-upsert", "Upsert " + stage, P + "UpsertCrmRecords", OURS, x, 1000)
                    .property("CRM Connection Service", targetService)
                    .property("Object", "#{target.object." + stage + "}")
                    .property("Operation", "upsert")
                    .property("Key Field", "#{target.key.field}")
                    .property("Record Reader", reader)
                    .property("Record Writer", writer)
                    .property("Batch Size", "#{upsert.batch.size}")
                    .property("Missing Parent", "failure")
                    .property("Reference Cache", cache)
                    .tasks(2)
                    .penalty("5 sec")
                    .retry(UPSERT_RETRIES, "2 mins", "retry")
                    .comments("'retry' (throttled, timed out, unavailable) is retried " + UPSERT_RETRIES
                            + " times with growing backoff, then goes to the dead letter.");
            references(upsert, target, stage);

            Funnel ended = flow.funnel(stage + "-ended", x + 160, 1250);
            Processor tracker = flow.processor(stage + "-track", "Track " + stage + " load", P + "TrackCrmLoad", OURS, x, 1400)
                    .comments("Counts where every record of the " + stage + " load ended; emits the report when all are in.");
            flow.connect(ended, tracker).name("records that reached the end of the flow")
                    .backPressure(10000, "1 GB").prioritizers(OLDEST_FIRST).loadBalance("SINGLE_NODE");
            flow.connect(fetch, ended, "completed");
            flow.connect(tracker, rejects, "failure");
            flow.connect(tracker, reports, "complete").name(title + " report").backPressure(100, "100 MB").prioritizers(FIFO);

            if (stage.equals("opportunities")) {
                // Deals are neither people nor companies: no deduplication; they are keyed by their source id.
                data(flow, map, upsert, "success");
            } else {
                Processor dedup = flow.processor(stage + "-dedup", "Deduplicate " + stage, P + "DeduplicateCrmRecords", OURS, x, 750)
                        .property("Record Reader", reader)
                        .property("Record Writer", writer)
                        .property("Match Index", "cache")
                        .property("Match Index Cache", cache)
                        .property("Match Index Namespace", "migration." + target.system + "." + stage)
                        .property("Target Connection Service", targetService)
                        .property("Target Object", "#{target.object." + stage + "}")
                        .comments("Merges duplicates within and across FlowFiles (match index in the map cache) and with records "
                                + "already in the target. Possible duplicates are loaded and also stored for review.");
                dedupFields(dedup, target, stage);
                data(flow, map, dedup, "success");
                data(flow, dedup, upsert, "golden", "review");
                flow.connect(dedup, rejects, "review", "duplicates", "failure");
                flow.connect(dedup, ended, "duplicates", "failure");
            }
            flow.connect(map, rejects, "invalid", "failure");
            flow.connect(map, ended, "invalid", "failure");
            flow.connect(upsert, rejects, "failure", "retry").name("rejected by the target / retries exhausted (dead letter)");
            flow.connect(upsert, ended, "success", "failure", "retry");
            previousTracker = tracker;
        }
        return flow.build();
    }

    // ---- 2. ongoing sync -------------------------------------------------------------------------------------------

    static ObjectNode ongoingSync() {
        String key = "ongoing-sync-salesforce-to-hubspot";
        FlowBuilder flow = new FlowBuilder(key, "Ongoing sync (pull): Salesforce to HubSpot",
                "Every sync.schedule, reads what changed in each object since the last run (resuming from the processor's "
                        + "state), maps, deduplicates against the target and upserts; deletes are propagated. Children "
                        + "whose parent is not there yet are retried, then dead-lettered. See templates/README.md.",
                "crm-sync-salesforce-to-hubspot",
                "Parameters of the ongoing sync Salesforce to HubSpot (templates/README.md explains each).");
        salesforceParameters(flow);
        hubspotParameters(flow);
        for (String stage : STAGES) {
            flow.parameter("source.object." + stage, SALESFORCE_OBJECTS.get(stage), "Source object synced by the " + stage + " lane.");
        }
        for (String stage : STAGES) {
            flow.parameter("target.object." + stage, Target.HUBSPOT.objects.get(stage), "Target object of the " + stage + " lane.");
        }
        flow.parameter("target.key.field", "source_id", "Target field holding the source record id (the upsert and delete key).");
        flow.parameter("source.id.field", "Id", "Source field holding the record id (what deletes are matched by).");
        for (String stage : STAGES) {
            flow.parameter("mapping.preset." + stage, "salesforce-to-hubspot-" + stage, "MapCrmFields preset of the " + stage + " lane.");
        }
        flow.parameter("sync.schedule", "1 min", "How often each object is polled for changes.");
        flow.parameter("sync.initial.start", null,
                "ISO-8601 instant where the very first change window starts (e.g. the end of the full migration); unset reads every record first.");
        flow.parameter("sync.lookback", "5 mins", "Each window re-reads this much before the previous window's end, for late commits (already seen changes are dropped).");
        flow.parameter("sync.age.delay", "30 secs", "Windows end this long before now, so changes still being committed are read next time.");
        flow.parameter("fetch.page.size", "2000", "Records per source API call.");
        flow.parameter("fetch.batch.size", "2000", "Most records per FlowFile.");
        flow.parameter("upsert.batch.size", "200", "Records per write call (capped at the target's maximum).");
        dedupParameters(flow);
        cacheParameters(flow, "4559");
        flow.parameter("review.directory", "/var/lib/nifi-crm/review/" + key, "Directory for rejected records (dead letter) and possible duplicates.");

        Service source = salesforce(flow);
        Service target = hubspot(flow);
        Service reader = jsonReader(flow);
        Service writer = jsonWriter(flow);
        Service cache = cache(flow);

        flow.label("Ongoing sync Salesforce → HubSpot (pull): one lane per object, every #{sync.schedule}.\n"
                + "Creates and updates are mapped, deduplicated against HubSpot and upserted; deletes archive the target record.\n"
                + "Room for the push (webhook) and queue sources: they feed the same Map → Deduplicate → Upsert lanes.",
                0, -220, 1500, 90);

        double sinkX = STAGES.size() * 820 + 100;
        Processor review = reviewSink(flow, sinkX, 1150);
        Funnel rejects = flow.funnel("rejects", sinkX + 160, 900);
        flow.connect(rejects, review).name("rejected records").backPressure(1000, "1 GB").prioritizers(FIFO);

        for (int i = 0; i < STAGES.size(); i++) {
            String stage = STAGES.get(i);
            double x = i * 820;
            Processor poll = flow.processor(stage + "-poll", "Poll " + stage + " changes", P + "QueryCrmEntities", OURS, x, 0)
                    .property("CRM Connection Service", source)
                    .property("Object", "#{source.object." + stage + "}")
                    .property("Load Mode", "incremental")
                    .property("Initial Start Time", "#{sync.initial.start}")
                    .property("Lookback Window", "#{sync.lookback}")
                    .property("Age Delay", "#{sync.age.delay}")
                    .property("Deleted Records", "route")
                    .property("Page Size", "#{fetch.page.size}")
                    .property("Max Records Per FlowFile", "#{fetch.batch.size}")
                    .property("Record Writer", writer)
                    .timer("#{sync.schedule}")
                    .primaryNode()
                    .comments("Incremental: its state (watermark, cursor) makes it resume where it stopped, across restarts "
                            + "and primary node changes. Clear its state to read everything again.");
            Processor map = flow.processor(stage + "-map", "Map " + stage, P + "MapCrmFields", OURS, x, 250)
                    .property("Mapping Preset", "#{mapping.preset." + stage + "}")
                    .property("Target Connection Service", target)
                    .property("Target Object", "#{target.object." + stage + "}")
                    .property("Record Reader", reader)
                    .property("Record Writer", writer);
            data(flow, poll, map, "success");
            Processor upsert = flow.processor(stage + "-upsert", "Upsert " + stage, P + "UpsertCrmRecords", OURS, x, 750)
                    .property("CRM Connection Service", target)
                    .property("Object", "#{target.object." + stage + "}")
                    .property("Operation", "upsert")
                    .property("Key Field", "#{target.key.field}")
                    .property("Record Reader", reader)
                    .property("Record Writer", writer)
                    .property("Batch Size", "#{upsert.batch.size}")
                    .property("Missing Parent", "retry")
                    .property("Reference Cache", cache)
                    .autoTerminate("success")
                    .penalty("10 sec")
                    .retry(UPSERT_RETRIES, "5 mins", "retry")
                    .comments("A child whose parent is not in the target yet (another lane's window) is retried "
                            + UPSERT_RETRIES + " times with growing backoff, then dead-lettered.");
            references(upsert, Target.HUBSPOT, stage);
            if (stage.equals("opportunities")) {
                data(flow, map, upsert, "success");
            } else {
                Processor dedup = flow.processor(stage + "-dedup", "Deduplicate " + stage, P + "DeduplicateCrmRecords", OURS, x, 500)
                        .property("Record Reader", reader)
                        .property("Record Writer", writer)
                        .property("Match Index", "cache")
                        .property("Match Index Cache", cache)
                        .property("Match Index Namespace", "sync.hubspot." + stage)
                        .property("Target Connection Service", target)
                        .property("Target Object", "#{target.object." + stage + "}");
                dedupFields(dedup, Target.HUBSPOT, stage);
                data(flow, map, dedup, "success");
                data(flow, dedup, upsert, "golden", "review");
                flow.connect(dedup, rejects, "review", "duplicates", "failure");
            }
            flow.connect(map, rejects, "invalid", "failure");
            flow.connect(upsert, rejects, "failure", "retry").name("rejected by the target / retries exhausted (dead letter)");

            // Deletes: the deleted source records' ids → the target key → archive.
            Processor mapDeleted = flow.processor(stage + "-map-deleted", "Map deleted " + stage, P + "MapCrmFields", OURS, x + 420, 250)
                    .property("Mapping", "{\"name\": \"deleted-" + stage + "\", \"fields\": [{\"target\": \"#{target.key.field}\", "
                            + "\"source\": \"#{source.id.field}\"}]}")
                    .property("Record Reader", reader)
                    .property("Record Writer", writer);
            data(flow, poll, mapDeleted, "deleted");
            Processor delete = flow.processor(stage + "-delete", "Delete " + stage, P + "UpsertCrmRecords", OURS, x + 420, 750)
                    .property("CRM Connection Service", target)
                    .property("Object", "#{target.object." + stage + "}")
                    .property("Operation", "delete")
                    .property("Key Field", "#{target.key.field}")
                    .property("Record Reader", reader)
                    .property("Record Writer", writer)
                    .property("Batch Size", "#{upsert.batch.size}")
                    .autoTerminate("success")
                    .penalty("10 sec")
                    .retry(UPSERT_RETRIES, "5 mins", "retry");
            data(flow, mapDeleted, delete, "success");
            flow.connect(mapDeleted, rejects, "invalid", "failure");
            flow.connect(delete, rejects, "failure", "retry").name("rejected by the target / retries exhausted (dead letter)");
        }
        return flow.build();
    }

    // ---- 3. file import --------------------------------------------------------------------------------------------

    static ObjectNode fileImport() {
        String key = "file-import-csv-to-hubspot";
        FlowBuilder flow = new FlowBuilder(key, "File import: CSV files to HubSpot",
                "Picks up CSV files dropped in import.directory (NiFi's stock ListFile/FetchFile and CSV reader), maps, "
                        + "deduplicates against HubSpot and upserts; every input file gets result files beside each other in "
                        + "import.results.directory: the rows loaded and, like a loader's error file, the rows rejected with "
                        + "the reason. See templates/README.md.",
                "crm-file-import-csv-to-hubspot",
                "Parameters of the CSV file import to HubSpot (templates/README.md explains each).");
        flow.parameter("import.directory", "/var/lib/nifi-crm/import", "Directory watched for input files.");
        flow.parameter("import.file.filter", "[^.].*\\.csv", "Regular expression of the file names to import.");
        flow.parameter("import.min.file.age", "10 sec", "A file is picked up only once it has not changed for this long (still being written otherwise).");
        flow.parameter("import.poll.interval", "10 sec", "How often the directory is listed.");
        flow.parameter("import.processed.directory", "/var/lib/nifi-crm/import/processed", "Input files are moved here once read.");
        flow.parameter("import.results.directory", "/var/lib/nifi-crm/import/results",
                "Result files: <file>.upsert-success.<id>.csv (loaded, with crm_outcome and crm_target_id) and, per reject "
                        + "reason, <file>.<stage>-<relationship>.<id>.csv (crm_invalid_reason, crm_error_code/crm_error_message).");
        flow.parameter("csv.separator", ",", "Column separator of the input files.");
        hubspotParameters(flow);
        flow.parameter("target.object", "contacts", "HubSpot object the files hold.");
        flow.parameter("target.object.accounts", "companies", "HubSpot object contacts' company references point to.");
        flow.parameter("target.key.field", "source_id", "Target field matching existing records (the upsert key), filled by the mapping.");
        flow.parameter("mapping.preset", "salesforce-to-hubspot-contacts",
                "MapCrmFields preset for the files' columns (e.g. a Salesforce Data Loader export of Contacts).");
        flow.parameter("entity.type", "person", "What the files describe for the deduplication: person (contacts) or company (companies).");
        flow.parameter("upsert.batch.size", "100", "Records per write call.");
        dedupParameters(flow);

        Service target = hubspot(flow);
        Service csvReader = flow.service("csv-reader", "CSV reader", "org.apache.nifi.csv.CSVReader", RECORD_SERVICES,
                        "org.apache.nifi.serialization.RecordReaderFactory", SERVICES_API)
                .property("schema-access-strategy", "infer-schema")
                .property("CSV Format", "custom")
                .property("Value Separator", "#{csv.separator}")
                .property("Trim Fields", "true")
                .property("csvutils-character-set", "UTF-8")
                .comments("For Excel files use the stock ExcelReader (nifi-poi-nar) here and a .xlsx file filter.");
        Service csvWriter = flow.service("csv-writer", "CSV writer", "org.apache.nifi.csv.CSVRecordSetWriter", RECORD_SERVICES,
                        "org.apache.nifi.serialization.RecordSetWriterFactory", SERVICES_API)
                .property("schema-access-strategy", "inherit-record-schema")
                .property("Schema Write Strategy", "no-schema")
                .property("Include Header Line", "true")
                .property("Value Separator", "#{csv.separator}");
        Service reader = jsonReader(flow);
        Service writer = jsonWriter(flow);

        flow.label("CSV file import → HubSpot. Drop files in #{import.directory}; results and rejects appear in "
                + "#{import.results.directory}.", 0, -160, 1200, 50);

        Processor list = flow.processor("list", "List input files", "org.apache.nifi.processors.standard.ListFile", STANDARD, 0, 0)
                .property("Input Directory", "#{import.directory}")
                .property("File Filter", "#{import.file.filter}")
                .property("Recurse Subdirectories", "false")
                .property("Minimum File Age", "#{import.min.file.age}")
                .property("listing-strategy", "timestamps")
                .timer("#{import.poll.interval}")
                .primaryNode();
        Processor fetch = flow.processor("fetch", "Fetch input file", "org.apache.nifi.processors.standard.FetchFile", STANDARD, 0, 250)
                .property("File to Fetch", "${absolute.path}/${filename}")
                .property("Completion Strategy", "Move File")
                .property("Move Destination Directory", "#{import.processed.directory}")
                .property("Move Conflict Strategy", "Rename")
                .autoTerminate("not.found")
                .retry(3, "1 min", "permission.denied", "failure")
                .comments("not.found: the file was taken away meanwhile. permission.denied/failure are retried, then logged.");
        flow.connect(list, fetch, "success").name("files to import").backPressure(10000, "1 GB").prioritizers(OLDEST_FIRST)
                .loadBalance("ROUND_ROBIN");
        Processor unreadable = flow.processor("unreadable", "Log unreadable file", "org.apache.nifi.processors.standard.LogMessage", STANDARD, 450, 250)
                .property("log-level", "error")
                .property("log-message", "Cannot import ${absolute.path}/${filename}: the file cannot be read or moved "
                        + "(permissions of #{import.directory} and #{import.processed.directory}).")
                .autoTerminate("success");
        flow.connect(fetch, unreadable, "permission.denied", "failure").backPressure(1000, "1 GB").prioritizers(FIFO);

        Processor map = flow.processor("map", "Map rows", P + "MapCrmFields", OURS, 0, 500)
                .property("Mapping Preset", "#{mapping.preset}")
                .property("Target Connection Service", target)
                .property("Target Object", "#{target.object}")
                .property("Record Reader", csvReader)
                .property("Record Writer", writer)
                .tasks(2);
        data(flow, fetch, map, "success");
        Processor dedup = flow.processor("dedup", "Deduplicate rows", P + "DeduplicateCrmRecords", OURS, 0, 750)
                .property("Record Reader", reader)
                .property("Record Writer", writer)
                .property("Match Index", "none")
                .property("Target Connection Service", target)
                .property("Target Object", "#{target.object}")
                .comments("Within a file, and against the records already in HubSpot (found by e-mail and phone).");
        dedupFields(dedup, Target.HUBSPOT, "contacts");
        dedup.property("Entity Type", "#{entity.type}");
        data(flow, map, dedup, "success");
        Processor upsert = flow.processor("upsert", "Upsert rows", P + "UpsertCrmRecords", OURS, 0, 1000)
                .property("CRM Connection Service", target)
                .property("Object", "#{target.object}")
                .property("Operation", "upsert")
                .property("Key Field", "#{target.key.field}")
                .property("Record Reader", reader)
                .property("Record Writer", writer)
                .property("Batch Size", "#{upsert.batch.size}")
                .property("Missing Parent", "failure")
                .dynamicProperty("associations.companies", "#{target.object.accounts}.#{target.key.field}")
                .tasks(2)
                .penalty("5 sec")
                .retry(UPSERT_RETRIES, "2 mins", "retry");
        data(flow, dedup, upsert, "golden", "review");

        Processor toCsv = flow.processor("to-csv", "Convert results to CSV", "org.apache.nifi.processors.standard.ConvertRecord", STANDARD, 500, 1250)
                .property("Record Reader", reader)
                .property("Record Writer", csvWriter)
                .property("Include Zero Record FlowFiles", "false");
        Funnel results = flow.funnel("results", 660, 1000);
        flow.connect(results, toCsv).name("results and rejects").backPressure(1000, "1 GB").prioritizers(FIFO);
        flow.connect(map, results, "invalid", "failure");
        flow.connect(dedup, results, "duplicates", "review", "failure");
        flow.connect(upsert, results, "success", "failure", "retry");
        Processor store = flow.processor("store", "Write result files", P + "StoreCrmReview", OURS, 500, 1500)
                .property("Directory", "#{import.results.directory}")
                .property("File Name", "${filename:substringBeforeLast('.')}.${crm.stage}-${crm.relationship}.${uuid:substring(0, 8)}"
                        + ".${mime.type:equals('text/csv'):ifElse('csv', 'json')}")
                .autoTerminate("success");
        flow.connect(toCsv, store, "success", "failure").backPressure(1000, "1 GB").prioritizers(FIFO);
        flow.connect(store, store, "failure").name("retry until the results directory is writable")
                .backPressure(1000, "1 GB").prioritizers(FIFO).bend(920, 1540).bend(920, 1620);
        return flow.build();
    }

    /** The templates by path, for lookups. */
    public static Map<String, ObjectNode> byPath() {
        Map<String, ObjectNode> map = new LinkedHashMap<>();
        all().forEach(t -> map.put(t.path(), t.json()));
        return map;
    }
}
