package io.nificrm.nifitests.flows;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.nificrm.nifitests.flows.FlowBuilder.Funnel;
import io.nificrm.nifitests.flows.FlowBuilder.Processor;
import io.nificrm.nifitests.flows.FlowBuilder.Service;

import static io.nificrm.nifitests.flows.FlowBuilder.DBCP;
import static io.nificrm.nifitests.flows.FlowBuilder.OURS;
import static io.nificrm.nifitests.flows.FlowBuilder.SERVICES_API;
import static io.nificrm.nifitests.flows.FlowBuilder.STANDARD;
import static io.nificrm.nifitests.flows.FlowTemplates.CRM_API;
import static io.nificrm.nifitests.flows.FlowTemplates.FIFO;
import static io.nificrm.nifitests.flows.FlowTemplates.P;
import static io.nificrm.nifitests.flows.FlowTemplates.UPSERT_RETRIES;
import static io.nificrm.nifitests.flows.FlowTemplates.data;

/**
 * The sync-mode flow definitions of {@code templates/} (push, queue, two-way, reconcile), part of
 * {@link FlowTemplates#all()}. One object per flow (contacts by default, every object name and preset a parameter):
 * copy the lane for more objects.
 */
final class SyncFlowTemplates {

    private SyncFlowTemplates() {
    }

    // ---- shared pieces ---------------------------------------------------------------------------------------------

    private static void salesforceTargetParameters(FlowBuilder flow) {
        flow.parameter("target.login.url", "https://login.salesforce.com",
                "Salesforce login URL (https://test.salesforce.com for a sandbox; the simulator's base URL in tests).");
        flow.parameter("target.client.id", null, "Consumer key of the Salesforce connected app (client credentials flow).");
        flow.sensitiveParameter("target.client.secret", "Consumer secret of the Salesforce connected app.");
    }

    private static Service salesforceTarget(FlowBuilder flow) {
        return flow.service("target", "Target CRM (Salesforce)", "io.nificrm.services.salesforce.SalesforceConnectionService", OURS, CRM_API, OURS)
                .property("Login URL", "#{target.login.url}")
                .property("Authorization Type", "client-credentials")
                .property("Client ID", "#{target.client.id}")
                .property("Client Secret", "#{target.client.secret}")
                .comments("Writes the target. Salesforce Contact needs an external id field External_Id__c (the upsert key).");
    }

    private static void hubspotSourceParameters(FlowBuilder flow) {
        flow.parameter("source.base.url", "https://api.hubapi.com", "HubSpot API address (the simulator's base URL in tests).");
        flow.sensitiveParameter("source.access.token", "HubSpot private app access token (scopes: crm.objects.*.read, crm.schemas.*.read).");
    }

    private static Service hubspotSource(FlowBuilder flow) {
        return flow.service("source", "Source CRM (HubSpot)", "io.nificrm.services.hubspot.HubSpotConnectionService", OURS, CRM_API, OURS)
                .property("Base URL", "#{source.base.url}")
                .property("Authentication Type", "private-app")
                .property("Access Token", "#{source.access.token}")
                .comments("Reads the current state of the records the webhooks name.");
    }

    /** The review sink and the funnel every reject goes to. */
    private static Funnel rejects(FlowBuilder flow, double x, double y) {
        Processor review = FlowTemplates.reviewSink(flow, x, y + 250);
        Funnel rejects = flow.funnel("rejects", x + 160, y);
        flow.connect(rejects, review).name("rejected records").backPressure(1000, "1 GB").prioritizers(FIFO);
        return rejects;
    }

    /**
     * Splits change records into deletes and the rest (stock QueryRecord), maps and upserts the rest, and deletes the
     * target records whose source record was deleted (by the key field, filled from crm_key).
     */
    private static void applyChanges(FlowBuilder flow, Processor from, String relationship, Service target, Service reader,
                                     Service writer, Funnel rejects, boolean hubspotReferences, boolean deleteByTargetId,
                                     double x, double y) {
        Processor split = flow.processor("split", "Split deletes", "org.apache.nifi.processors.standard.QueryRecord", STANDARD, x, y)
                .property("record-reader", reader)
                .property("record-writer", writer)
                .property("include-zero-record-flowfiles", "false")
                .dynamicProperty("changes", "SELECT * FROM FLOWFILE WHERE crm_operation IS NULL OR crm_operation <> 'delete'")
                .dynamicProperty("deletes", "SELECT * FROM FLOWFILE WHERE crm_operation = 'delete'")
                .autoTerminate("original")
                .comments("Every record goes to exactly one of 'changes' (creates, updates, upserts) and 'deletes'.");
        data(flow, from, split, relationship);
        flow.connect(split, rejects, "failure");

        Processor map = flow.processor("map", "Map changes", P + "MapCrmFields", OURS, x, y + 250)
                .property("Mapping Preset", "#{mapping.preset}")
                .property("Target Connection Service", target)
                .property("Target Object", "#{target.object}")
                .property("Record Reader", reader)
                .property("Record Writer", writer);
        data(flow, split, map, "changes");
        Processor upsert = flow.processor("upsert", "Upsert changes", P + "UpsertCrmRecords", OURS, x, y + 500)
                .property("CRM Connection Service", target)
                .property("Object", "#{target.object}")
                .property("Operation", "upsert")
                .property("Key Field", "#{target.key.field}")
                .property("Record Reader", reader)
                .property("Record Writer", writer)
                .property("Batch Size", "#{upsert.batch.size}")
                .property("Missing Parent", "retry")
                .autoTerminate("success")
                .penalty("10 sec")
                .retry(UPSERT_RETRIES, "5 mins", "retry")
                .comments("Idempotent by the key field, so a change delivered twice is harmless. A record whose parent is not "
                        + "in the target yet is retried " + UPSERT_RETRIES + " times with growing backoff, then dead-lettered.");
        if (hubspotReferences) {
            upsert.dynamicProperty("associations.companies", "#{target.object.accounts}.#{target.key.field}");
        }
        data(flow, map, upsert, "success");
        flow.connect(map, rejects, "invalid", "failure");
        flow.connect(upsert, rejects, "failure", "retry").name("rejected by the target / retries exhausted (dead letter)");

        Processor mapDeleted = flow.processor("map-deleted", "Map deletes", P + "MapCrmFields", OURS, x + 420, y + 250)
                .property("Mapping", "{\"name\": \"deleted\", \"fields\": [{\"target\": \"#{target.key.field}\", \"source\": \"crm_key\"}]}")
                .property("Record Reader", reader)
                .property("Record Writer", writer)
                .comments("A delete carries the source id (crm_key): the target record keyed by it is deleted.");
        data(flow, split, mapDeleted, "deletes");
        Processor delete = flow.processor("delete", "Delete in target", P + "UpsertCrmRecords", OURS, x + 420, y + 750)
                .property("CRM Connection Service", target)
                .property("Object", "#{target.object}")
                .property("Operation", "delete")
                .property("Record Reader", reader)
                .property("Record Writer", writer)
                .property("Batch Size", "#{upsert.batch.size}")
                .autoTerminate("success")
                .penalty("10 sec")
                .retry(UPSERT_RETRIES, "5 mins", "retry");
        if (deleteByTargetId) {
            // Salesforce deletes by record id only: the ids of the records keyed by the source id are looked up first.
            Processor find = flow.processor("find-deleted", "Find records to delete", P + "FetchCrmRecords", OURS, x + 420, y + 500)
                    .property("CRM Connection Service", target)
                    .property("Object", "#{target.object}")
                    .property("Key Record Field", "#{target.key.field}")
                    .property("Lookup Field", "#{target.key.field}")
                    .property("Fields", "#{target.key.field}")
                    .property("Batch Size", "200")
                    .property("Record Reader", reader)
                    .property("Record Writer", writer)
                    .autoTerminate("not found")
                    .penalty("10 sec")
                    .retry(UPSERT_RETRIES, "5 mins", "retry")
                    .comments("'not found': the target has no record with that key (never synced, or deleted already): "
                            + "nothing to delete.");
            data(flow, mapDeleted, find, "success");
            data(flow, find, delete, "success");
            flow.connect(find, rejects, "failure", "retry").name("refused / retries exhausted (dead letter)");
        } else {
            delete.property("Key Field", "#{target.key.field}");
            data(flow, mapDeleted, delete, "success");
        }
        flow.connect(mapDeleted, rejects, "invalid", "failure");
        flow.connect(delete, rejects, "failure", "retry").name("rejected by the target / retries exhausted (dead letter)");
    }

    private static void incrementalParameters(FlowBuilder flow) {
        flow.parameter("sync.schedule", "1 min", "How often the source is polled for changes.");
        flow.parameter("sync.initial.start", null,
                "ISO-8601 instant where the very first change window starts (e.g. the end of a full migration); unset reads every record first.");
        flow.parameter("sync.lookback", "5 mins", "Each window re-reads this much before the previous window's end, for late commits (already seen changes are dropped).");
        flow.parameter("sync.age.delay", "30 secs", "Windows end this long before now, so changes still being committed are read next time.");
        flow.parameter("fetch.page.size", "2000", "Records per source API call.");
        flow.parameter("fetch.batch.size", "2000", "Most records per FlowFile.");
    }

    private static Processor poll(FlowBuilder flow, String key, String name, Service source, String object, Service writer, double x, double y) {
        return flow.processor(key, name, P + "QueryCrmEntities", OURS, x, y)
                .property("CRM Connection Service", source)
                .property("Object", object)
                .property("Load Mode", "incremental")
                .property("Initial Start Time", "#{sync.initial.start}")
                .property("Lookback Window", "#{sync.lookback}")
                .property("Age Delay", "#{sync.age.delay}")
                .property("Deleted Records", "flag")
                .property("Page Size", "#{fetch.page.size}")
                .property("Max Records Per FlowFile", "#{fetch.batch.size}")
                .property("Record Writer", writer)
                .autoTerminate("deleted")
                .timer("#{sync.schedule}")
                .primaryNode()
                .comments("Incremental, resuming from its state (watermark, cursor). Deleted records are flagged (crm_deleted) "
                        + "in 'success', so 'deleted' never receives anything.");
    }

    // ---- push: webhooks ----------------------------------------------------------------------------------------------

    static ObjectNode pushSync() {
        String key = "ongoing-sync-push-hubspot-to-salesforce";
        FlowBuilder flow = new FlowBuilder(key, "Ongoing sync (push): HubSpot to Salesforce",
                "HubSpot app webhooks (v3-signed) received by ListenCrmWebhook; the records they name are read from HubSpot, "
                        + "mapped and upserted into Salesforce; deletions delete. Forged or replayed requests are refused and "
                        + "write nothing. See templates/README.md.",
                "crm-sync-push-hubspot-to-salesforce",
                "Parameters of the push sync HubSpot to Salesforce (templates/README.md explains each).");
        flow.parameter("webhook.port", "9443", "Port the webhook listener binds on every node (HubSpot calls https://<host>:<port><path>).");
        flow.parameter("webhook.path", "/crm/webhook", "Path of the webhook URL.");
        flow.sensitiveParameter("webhook.client.secret", "The HubSpot app's client secret: the key of the v3 signatures.");
        flow.parameter("webhook.signed.url.base", null,
                "Scheme, host and port HubSpot calls when a proxy or load balancer sits in front (the signature covers that URL); unset: this listener's own.");
        hubspotSourceParameters(flow);
        salesforceTargetParameters(flow);
        flow.parameter("source.object", "contacts", "HubSpot object synced: webhook events of other objects go to the review directory.");
        flow.parameter("target.object", "Contact", "Salesforce object written.");
        flow.parameter("target.key.field", "External_Id__c", "Salesforce external id field holding the HubSpot id: upsert and delete key.");
        flow.parameter("mapping.preset", "hubspot-to-salesforce-contacts", "MapCrmFields preset (io/nificrm/mappings/index.txt lists them).");
        flow.parameter("fetch.batch.size", "100", "Ids read from HubSpot per lookup call (HubSpot batch read: 100).");
        flow.parameter("upsert.batch.size", "200", "Records per write call (Salesforce composite: 200).");
        flow.parameter("review.directory", "/var/lib/nifi-crm/review/" + key, "Directory for rejected records (dead letter).");

        Service source = hubspotSource(flow);
        Service target = salesforceTarget(flow);
        Service reader = FlowTemplates.jsonReader(flow);
        Service writer = FlowTemplates.jsonWriter(flow);

        flow.label("Ongoing sync HubSpot → Salesforce (push): point the HubSpot app's webhook target URL at this NiFi, "
                + "port #{webhook.port}, path #{webhook.path}.\nEvery acknowledged notification ends in Salesforce or in "
                + "#{review.directory}.", 0, -220, 1200, 70);
        Funnel rejects = rejects(flow, 1000, 500);

        Processor listen = flow.processor("listen", "Receive HubSpot webhooks", P + "ListenCrmWebhook", OURS, 0, 0)
                .property("Listening Port", "#{webhook.port}")
                .property("Path", "#{webhook.path}")
                .property("Webhook Format", "hubspot-v3")
                .property("HubSpot Client Secret", "#{webhook.client.secret}")
                .property("Signed URL Base", "#{webhook.signed.url.base}")
                .property("Record Writer", writer)
                .comments("Verifies every request's v3 signature and timestamp (401 otherwise), refuses replays (409), and "
                        + "answers 200 only once the notifications are committed in NiFi. For HTTPS set an SSL Context Service.");
        Processor route = flow.processor("route", "Keep the synced object", "org.apache.nifi.processors.standard.RouteOnAttribute", STANDARD, 0, 250)
                .property("Routing Strategy", "Route to Property name")
                .dynamicProperty("synced", "${#{source.object}:equals(${crm.object})}")
                .comments("Notifications of other objects are not lost: they go to the review directory.");
        flow.connect(listen, route, "success").name("change notifications").backPressure(1000, "100 MB").prioritizers(FIFO);
        flow.connect(route, rejects, "unmatched").name("notifications of other objects");

        Processor fetch = flow.processor("fetch", "Read changed records", P + "FetchCrmRecords", OURS, 0, 500)
                .property("CRM Connection Service", source)
                .property("Object", "#{source.object}")
                .property("Batch Size", "#{fetch.batch.size}")
                .property("Record Reader", reader)
                .property("Record Writer", writer)
                .penalty("10 sec")
                .retry(UPSERT_RETRIES, "5 mins", "retry")
                .comments("Notifications carry ids and changed values only: the current records are read (deletes pass "
                        + "through). 'not found': deleted since; its deletion event follows.");
        data(flow, route, fetch, "synced");
        flow.connect(fetch, rejects, "not found", "failure", "retry").name("not found / refused / retries exhausted");

        applyChanges(flow, fetch, "success", target, reader, writer, rejects, false, true, 0, 750);
        return flow.build();
    }

    // ---- queue: outbox (or Kafka) ----------------------------------------------------------------------------------

    static ObjectNode queueSync() {
        String key = "ongoing-sync-queue-salesforce-to-hubspot";
        FlowBuilder flow = new FlowBuilder(key, "Ongoing sync (queue): Salesforce to HubSpot",
                "Source side: incremental reads of Salesforce published to a durable change queue (a PostgreSQL outbox table; "
                        + "KafkaChangeQueue is a drop-in replacement). Target side: the queue consumed, mapped and upserted into "
                        + "HubSpot, deletes included. The sides are decoupled: either can stop while the other runs. See "
                        + "templates/README.md.",
                "crm-sync-queue-salesforce-to-hubspot",
                "Parameters of the queue sync Salesforce to HubSpot (templates/README.md explains each).");
        FlowTemplates.salesforceParameters(flow);
        FlowTemplates.hubspotParameters(flow);
        flow.parameter("queue.jdbc.url", null, "JDBC URL of the PostgreSQL database holding the outbox table, e.g. jdbc:postgresql://db:5432/crm.");
        flow.parameter("queue.jdbc.user", null, "Database user (creates the outbox table on first use unless it exists).");
        flow.sensitiveParameter("queue.jdbc.password", "Database password.");
        flow.parameter("queue.jdbc.driver.location", null, "Path of the PostgreSQL JDBC driver jar on the NiFi host(s).");
        flow.parameter("queue.table", "crm_outbox", "Outbox table (created if missing).");
        flow.parameter("queue.topic", "salesforce-contacts", "Topic of the changes (one outbox table holds many topics).");
        flow.parameter("queue.consumer.group", "hubspot", "Consumer group of the target side: each group receives every change once.");
        flow.parameter("source.object", "Contact", "Salesforce object synced.");
        flow.parameter("target.object", "contacts", "HubSpot object written.");
        flow.parameter("target.object.accounts", "companies", "HubSpot object the associations.companies references point to.");
        flow.parameter("target.key.field", "source_id", "HubSpot field holding the Salesforce id: upsert and delete key.");
        flow.parameter("mapping.preset", "salesforce-to-hubspot-contacts", "MapCrmFields preset (io/nificrm/mappings/index.txt lists them).");
        incrementalParameters(flow);
        flow.parameter("upsert.batch.size", "100", "Records per write call (HubSpot: 100).");
        flow.parameter("review.directory", "/var/lib/nifi-crm/review/" + key, "Directory for rejected records (dead letter).");

        Service source = FlowTemplates.salesforce(flow);
        Service target = FlowTemplates.hubspot(flow);
        Service reader = FlowTemplates.jsonReader(flow);
        Service writer = FlowTemplates.jsonWriter(flow);
        Service pool = flow.service("queue-dbcp", "Outbox database connection pool (PostgreSQL)", "org.apache.nifi.dbcp.DBCPConnectionPool",
                        DBCP, "org.apache.nifi.dbcp.DBCPService", SERVICES_API)
                .property("Database Connection URL", "#{queue.jdbc.url}")
                .property("Database Driver Class Name", "org.postgresql.Driver")
                .property("database-driver-locations", "#{queue.jdbc.driver.location}")
                .property("Database User", "#{queue.jdbc.user}")
                .property("Password", "#{queue.jdbc.password}")
                .property("Max Total Connections", "4");
        Service queue = flow.service("queue", "Change queue (PostgreSQL outbox)", "io.nificrm.services.queue.OutboxChangeQueue", OURS,
                        "io.nificrm.api.queue.CrmChangeQueue", OURS)
                .property("Database Connection Pooling Service", pool)
                .property("Table", "#{queue.table}")
                .property("Create Table", "true")
                .property("Topic", "#{queue.topic}")
                .property("Consumer Group", "#{queue.consumer.group}")
                .comments("Kafka instead: replace this service with KafkaChangeQueue (Bootstrap Servers, Topic, Consumer Group); "
                        + "both processors reference the service, not the queue.");

        flow.label("Ongoing sync Salesforce → HubSpot (queue).\nSource side (left): poll every #{sync.schedule} → publish to "
                + "the queue. Target side (right): consume → split deletes → map → upsert.", 0, -220, 1400, 70);
        Funnel rejects = rejects(flow, 1400, 500);

        Processor poll = poll(flow, "poll", "Poll changes", source, "#{source.object}", writer, 0, 0);
        Processor publish = flow.processor("publish", "Publish changes", P + "PublishCrmChanges", OURS, 0, 250)
                .property("Change Queue", queue)
                .property("Record Reader", reader)
                .property("Record Writer", writer)
                .property("Batch Size", "500")
                .autoTerminate("success")
                .penalty("10 sec")
                .retry(UPSERT_RETRIES, "5 mins", "retry")
                .comments("A record goes to 'success' once the queue stored it durably (outbox committed). Deleted records "
                        + "(crm_deleted) become delete messages.");
        data(flow, poll, publish, "success");
        flow.connect(publish, rejects, "failure", "retry").name("not a change / queue unavailable after retries (dead letter)");

        Processor consume = flow.processor("consume", "Consume changes", P + "ConsumeCrmChanges", OURS, 500, 0)
                .property("Change Queue", queue)
                .property("Record Writer", writer)
                .property("Max Messages Per Poll", "1000")
                .property("Max Wait", "1 sec")
                .comments("Acknowledges a poll only after its FlowFiles are committed: at-least-once, in order per record.");
        flow.connect(consume, rejects, "parse.failure").name("messages that are not change records");
        applyChanges(flow, consume, "success", target, reader, writer, rejects, true, false, 500, 250);
        return flow.build();
    }

    // ---- two-way ---------------------------------------------------------------------------------------------------

    /** One side of the two-way sync. */
    private record Side(String name, String label, String object, String linkField, String preset) {
    }

    static ObjectNode twoWaySync() {
        String key = "two-way-sync-salesforce-and-hubspot";
        FlowBuilder flow = new FlowBuilder(key, "Two-way sync: Salesforce and HubSpot",
                "Both directions of a two-way sync of one object pair sharing one sync ledger: each side's changes are read "
                        + "incrementally, SyncCrmChanges decides (echo of the sync's own writes, conflict by the policy, create, "
                        + "update of the changed fields, delete) and ConfirmCrmSync records what was written. See "
                        + "templates/README.md and docs/TWO-WAY-SYNC.md.",
                "crm-two-way-salesforce-and-hubspot",
                "Parameters of the two-way sync Salesforce and HubSpot (templates/README.md explains each).");
        flow.parameter("salesforce.login.url", "https://login.salesforce.com", "Salesforce login URL (the simulator's base URL in tests).");
        flow.parameter("salesforce.client.id", null, "Consumer key of the Salesforce connected app (client credentials flow).");
        flow.sensitiveParameter("salesforce.client.secret", "Consumer secret of the Salesforce connected app.");
        flow.parameter("hubspot.base.url", "https://api.hubapi.com", "HubSpot API address (the simulator's base URL in tests).");
        flow.sensitiveParameter("hubspot.access.token", "HubSpot private app token (crm.objects.*.read/write, crm.schemas.*.read).");
        flow.parameter("salesforce.object", "Contact", "Salesforce object synced.");
        flow.parameter("hubspot.object", "contacts", "HubSpot object synced.");
        flow.parameter("hubspot.object.accounts", "companies", "HubSpot object the associations.companies references of created records point to.");
        flow.parameter("salesforce.link.field", "External_Id__c", "Salesforce field holding the HubSpot id (key of the creates in Salesforce).");
        flow.parameter("hubspot.link.field", "source_id", "HubSpot field holding the Salesforce id (key of the creates in HubSpot).");
        flow.parameter("mapping.preset.salesforce.to.hubspot", "salesforce-to-hubspot-contacts", "Mapping of the Salesforce → HubSpot direction.");
        flow.parameter("mapping.preset.hubspot.to.salesforce", "hubspot-to-salesforce-contacts", "Mapping of the HubSpot → Salesforce direction.");
        flow.parameter("sync.name", "salesforce-hubspot-contacts", "Names this sync in the ledger (letters, digits, . _ -).");
        flow.parameter("sync.ledger.directory", "/var/lib/nifi-crm/ledger/" + key,
                "Directory of the sync ledger (embedded store): what was last synced per linked pair. Keep it; back it up.");
        flow.parameter("sync.conflict.policy", "last-writer-wins",
                "last-writer-wins, source-of-truth (sync.winning.side always wins), field-owners (sync.field.owners) or manual-review.");
        flow.parameter("sync.conflict.scope", "field", "field: only a field both sides changed is a conflict; record: changes on both sides make the record one conflict.");
        flow.parameter("sync.winning.side", "salesforce", "Side that wins ties (last-writer-wins), every conflict (source-of-truth) or unowned fields (field-owners): salesforce or hubspot.");
        flow.parameter("sync.field.owners", null, "field-owners policy: JSON object field → side, e.g. {\"Email\": \"salesforce\", \"jobtitle\": \"hubspot\"}.");
        incrementalParameters(flow);
        flow.parameter("upsert.batch.size", "100", "Records per write call.");
        flow.parameter("review.directory", "/var/lib/nifi-crm/review/" + key,
                "Conflicts under manual-review, changes whose counterpart is gone, and rejects.");

        Service salesforce = flow.service("salesforce", "Salesforce", "io.nificrm.services.salesforce.SalesforceConnectionService", OURS, CRM_API, OURS)
                .property("Login URL", "#{salesforce.login.url}")
                .property("Authorization Type", "client-credentials")
                .property("Client ID", "#{salesforce.client.id}")
                .property("Client Secret", "#{salesforce.client.secret}")
                .comments("Salesforce Contact needs an external id field External_Id__c holding the HubSpot id.");
        Service hubspot = flow.service("hubspot", "HubSpot", "io.nificrm.services.hubspot.HubSpotConnectionService", OURS, CRM_API, OURS)
                .property("Base URL", "#{hubspot.base.url}")
                .property("Authentication Type", "private-app")
                .property("Access Token", "#{hubspot.access.token}")
                .comments("HubSpot contacts need a unique custom property source_id holding the Salesforce id.");
        Service reader = FlowTemplates.jsonReader(flow);
        Service writer = FlowTemplates.jsonWriter(flow);

        flow.label("Two-way sync Salesforce ↔ HubSpot: one lane per direction, one ledger (#{sync.ledger.directory}).\n"
                + "The sync's own writes come back as echoes and stop there; conflicts are decided by #{sync.conflict.policy}.",
                0, -220, 1600, 70);
        Funnel rejects = rejects(flow, 1800, 500);
        Processor confirm = flow.processor("confirm", "Confirm written changes", P + "ConfirmCrmSync", OURS, 1000, 1000)
                .property("Sync Ledger", "directory")
                .property("Sync Ledger Directory", "#{sync.ledger.directory}")
                .property("Sync Name", "#{sync.name}")
                .property("Record Reader", reader)
                .autoTerminate("success")
                .comments("Records in the ledger what each write made the two sides look like: the write's echo is then recognised.");
        flow.connect(confirm, rejects, "failure");

        Side sf = new Side("salesforce", "Salesforce", "#{salesforce.object}", "#{salesforce.link.field}", "#{mapping.preset.salesforce.to.hubspot}");
        Side hs = new Side("hubspot", "HubSpot", "#{hubspot.object}", "#{hubspot.link.field}", "#{mapping.preset.hubspot.to.salesforce}");
        direction(flow, sf, hs, salesforce, hubspot, reader, writer, rejects, confirm, 0);
        direction(flow, hs, sf, hubspot, salesforce, reader, writer, rejects, confirm, 1);
        return flow.build();
    }

    private static void direction(FlowBuilder flow, Side from, Side to, Service source, Service target, Service reader, Service writer,
                                  Funnel rejects, Processor confirm, int lane) {
        String k = from.name() + "-to-" + to.name();
        String arrow = from.label() + " → " + to.label();
        double x = lane * 900;
        Processor poll = poll(flow, k + "-poll", "Poll " + from.label() + " changes", source, from.object(), writer, x, 0);
        Processor sync = flow.processor(k + "-sync", "Decide " + arrow, P + "SyncCrmChanges", OURS, x, 250)
                .property("Source Connection Service", source)
                .property("Source Object", from.object())
                .property("Target Connection Service", target)
                .property("Target Object", to.object())
                .property("Source Side", from.name())
                .property("Target Side", to.name())
                .property("Mapping Preset", from.preset())
                .property("Reverse Mapping Preset", to.preset())
                .property("Conflict Policy", "#{sync.conflict.policy}")
                .property("Conflict Scope", "#{sync.conflict.scope}")
                .property("Winning Side", "#{sync.winning.side}")
                .property("Field Owners", "#{sync.field.owners}")
                .property("Target Link Field", to.linkField())
                .property("Source Link Field", from.linkField())
                .property("Sync Ledger", "directory")
                .property("Sync Ledger Directory", "#{sync.ledger.directory}")
                .property("Sync Name", "#{sync.name}")
                .property("Record Reader", reader)
                .property("Record Writer", writer)
                .autoTerminate("echo", "overruled")
                .comments("echo: the sync's own write coming back, a stale or replayed change, values already in sync (this is "
                        + "the loop prevention). overruled: lost a conflict; the other direction writes the winner back.");
        data(flow, poll, sync, "success");
        flow.connect(sync, rejects, "review", "invalid", "failure").name("conflicts to review, counterpart gone, invalid");

        Processor create = writer(flow, k + "-create", "Create in " + to.label(), target, to, "upsert", to.linkField(), reader, writer, x, 500);
        if (to.name().equals("hubspot")) {
            create.dynamicProperty("associations.companies", "#{hubspot.object.accounts}.#{hubspot.link.field}");
        }
        Processor update = writer(flow, k + "-update", "Update in " + to.label(), target, to, "update", null, reader, writer, x + 300, 500);
        Processor delete = writer(flow, k + "-delete", "Delete in " + to.label(), target, to, "delete", null, reader, writer, x + 600, 500);
        data(flow, sync, create, "create");
        data(flow, sync, update, "update");
        data(flow, sync, delete, "delete");
        for (Processor p : new Processor[]{create, update, delete}) {
            data(flow, p, confirm, "success");
            flow.connect(p, rejects, "failure", "retry").name("rejected by the target / retries exhausted (dead letter)");
        }
    }

    private static Processor writer(FlowBuilder flow, String key, String name, Service target, Side to, String operation, String keyField,
                                    Service reader, Service writer, double x, double y) {
        Processor p = flow.processor(key, name, P + "UpsertCrmRecords", OURS, x, y)
                .property("CRM Connection Service", target)
                .property("Object", to.object())
                .property("Operation", operation)
                .property("Record Reader", reader)
                .property("Record Writer", writer)
                .property("Batch Size", "#{upsert.batch.size}")
                .penalty("10 sec")
                .retry(UPSERT_RETRIES, "5 mins", "retry");
        if (keyField != null) {
            p.property("Key Field", keyField);
        }
        return p;
    }

    // ---- reconcile -------------------------------------------------------------------------------------------------

    static ObjectNode reconcile() {
        String key = "reconcile-salesforce-to-hubspot";
        FlowBuilder flow = new FlowBuilder(key, "Reconcile: Salesforce to HubSpot",
                "On a schedule, compares one object between Salesforce and HubSpot in HubSpot's terms, writes a report (missing, "
                        + "extra, different per field) and repairs: missing records are upserted, different ones updated; extra "
                        + "HubSpot records are set aside for review, never deleted. See templates/README.md.",
                "crm-reconcile-salesforce-to-hubspot",
                "Parameters of the reconciliation Salesforce to HubSpot (templates/README.md explains each).");
        FlowTemplates.salesforceParameters(flow);
        FlowTemplates.hubspotParameters(flow);
        flow.parameter("source.object", "Contact", "Salesforce object compared.");
        flow.parameter("target.object", "contacts", "HubSpot object compared.");
        flow.parameter("target.object.accounts", "companies", "HubSpot object the associations.companies references of repaired records point to.");
        flow.parameter("target.key.field", "source_id", "HubSpot field holding the Salesforce id: the correspondence and the upsert key.");
        flow.parameter("mapping.preset", "salesforce-to-hubspot-contacts", "Mapping the comparison is made through (and the repairs written with).");
        flow.parameter("reconcile.schedule", "1 day", "How often the comparison runs (and once when the group starts).");
        flow.parameter("reconcile.scope", "full", "full (both objects read; finds extras) or changed-recently (source records modified within reconcile.window).");
        flow.parameter("reconcile.window", "1 hour", "changed-recently scope: how far back.");
        flow.parameter("reconcile.partitions", "1", "Key-space slices compared one after the other: heap divides by it, reads multiply by it.");
        flow.parameter("reconcile.compare.fields", null, "Comma-separated HubSpot fields to compare; unset: every plain field the mapping writes.");
        flow.parameter("fetch.page.size", "2000", "Records per read call.");
        flow.parameter("upsert.batch.size", "100", "Records per repair write call.");
        flow.parameter("review.directory", "/var/lib/nifi-crm/review/" + key, "Extra HubSpot records and repairs the target refused.");
        flow.parameter("report.directory", "/var/lib/nifi-crm/reports/" + key, "One JSON report per run.");

        Service source = FlowTemplates.salesforce(flow);
        Service target = FlowTemplates.hubspot(flow);
        Service reader = FlowTemplates.jsonReader(flow);
        Service writer = FlowTemplates.jsonWriter(flow);

        flow.label("Reconcile Salesforce → HubSpot every #{reconcile.schedule}: report in #{report.directory}; missing and "
                + "different records repaired; extra ones in #{review.directory}.", 0, -220, 1400, 50);
        Funnel rejects = rejects(flow, 1300, 500);

        Processor reconcile = flow.processor("reconcile", "Compare", P + "ReconcileCrmObjects", OURS, 0, 0)
                .property("Source Connection Service", source)
                .property("Source Object", "#{source.object}")
                .property("Target Connection Service", target)
                .property("Target Object", "#{target.object}")
                .property("Mapping Preset", "#{mapping.preset}")
                .property("Target Key Field", "#{target.key.field}")
                .property("Compare Fields", "#{reconcile.compare.fields}")
                .property("Scope", "#{reconcile.scope}")
                .property("Window", "#{reconcile.window}")
                .property("Partitions", "#{reconcile.partitions}")
                .property("Page Size", "#{fetch.page.size}")
                .property("Record Writer", writer)
                .autoTerminate("original")
                .timer("#{reconcile.schedule}")
                .primaryNode()
                .comments("Scheduled (no input): runs when the group starts and then every #{reconcile.schedule}. 'original' "
                        + "only carries a triggering FlowFile, which this flow has none of.");
        flow.connect(reconcile, rejects, "extra", "failure").name("extra target records (never deleted automatically)");

        Processor reports = flow.processor("store-reports", "Store reports", P + "StoreCrmReview", OURS, 0, 250)
                .property("Directory", "#{report.directory}")
                .property("File Name", "${now():format('yyyyMMdd-HHmmss-SSS')}-reconcile-#{target.object}.json")
                .autoTerminate("success");
        flow.connect(reconcile, reports, "report").name("reports").backPressure(100, "100 MB").prioritizers(FIFO);
        flow.connect(reports, reports, "failure").name("retry until the report directory is writable")
                .backPressure(100, "100 MB").prioritizers(FIFO).bend(420, 290).bend(420, 370);

        Processor missing = flow.processor("repair-missing", "Create missing", P + "UpsertCrmRecords", OURS, 450, 250)
                .property("CRM Connection Service", target)
                .property("Object", "#{target.object}")
                .property("Operation", "upsert")
                .property("Key Field", "#{target.key.field}")
                .property("Record Reader", reader)
                .property("Record Writer", writer)
                .property("Batch Size", "#{upsert.batch.size}")
                .property("Missing Parent", "failure")
                .dynamicProperty("associations.companies", "#{target.object.accounts}.#{target.key.field}")
                .autoTerminate("success")
                .penalty("10 sec")
                .retry(UPSERT_RETRIES, "5 mins", "retry")
                .comments("A record whose parent is missing too is refused (MISSING_PARENT) and reviewed: reconcile parents first.");
        Processor different = flow.processor("repair-different", "Update different", P + "UpsertCrmRecords", OURS, 850, 250)
                .property("CRM Connection Service", target)
                .property("Object", "#{target.object}")
                .property("Operation", "update")
                .property("Record Reader", reader)
                .property("Record Writer", writer)
                .property("Batch Size", "#{upsert.batch.size}")
                .property("Missing Parent", "failure")
                .dynamicProperty("associations.companies", "#{target.object.accounts}.#{target.key.field}")
                .autoTerminate("success")
                .penalty("10 sec")
                .retry(UPSERT_RETRIES, "5 mins", "retry")
                .comments("Updates the target record (by its id) with the source's mapped values.");
        data(flow, reconcile, missing, "missing");
        data(flow, reconcile, different, "different");
        flow.connect(missing, rejects, "failure", "retry").name("rejected by the target / retries exhausted (dead letter)");
        flow.connect(different, rejects, "failure", "retry").name("rejected by the target / retries exhausted (dead letter)");
        return flow.build();
    }
}
