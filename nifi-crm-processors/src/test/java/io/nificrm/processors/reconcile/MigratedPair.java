package io.nificrm.processors.reconcile;

import io.nificrm.api.CrmQuery;
import io.nificrm.api.CrmWriteRequest;
import io.nificrm.api.CrmWriteResult;
import io.nificrm.api.WriteOperation;
import io.nificrm.processors.mapping.CompiledMapping;
import io.nificrm.processors.mapping.MappingSpecs;
import io.nificrm.services.hubspot.HubSpotConnectionService;
import io.nificrm.services.salesforce.SalesforceConnectionService;
import org.apache.nifi.serialization.record.Record;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/** Salesforce contacts migrated to HubSpot through the services with a mapping: the pair a reconciliation checks. */
final class MigratedPair {
    /** Salesforce id → HubSpot id of every migrated contact. */
    final Map<String, String> migrated = new HashMap<>();
    int unmappable;
    int failed;

    MigratedPair(SalesforceConnectionService salesforce, HubSpotConnectionService hubspot, String mapping) throws Exception {
        CompiledMapping compiled = CompiledMapping.compile(MappingSpecs.parse(mapping), hubspot.describe("contacts"), null);
        List<Record> mapped = new ArrayList<>();
        String cursor = null;
        do {
            var page = salesforce.query(CrmQuery.of("Contact").withCursor(cursor));
            for (Record r : page.records()) {
                CompiledMapping.Result result = compiled.apply(r);
                if (result.isValid()) {
                    mapped.add(result.record());
                } else {
                    unmappable++;
                }
            }
            cursor = page.nextCursor();
        } while (cursor != null);
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<List<CrmWriteResult>>> writes = new ArrayList<>();
            for (int i = 0; i < mapped.size(); i += 100) {
                List<Record> batch = mapped.subList(i, Math.min(mapped.size(), i + 100));
                writes.add(pool.submit(() -> hubspot.write(new CrmWriteRequest("contacts", WriteOperation.UPSERT, "source_id", batch))));
            }
            for (int i = 0; i < writes.size(); i++) {
                List<CrmWriteResult> results = writes.get(i).get();
                for (int j = 0; j < results.size(); j++) {
                    if (results.get(j).isSuccess()) {
                        migrated.put(mapped.get(i * 100 + j).getAsString("source_id"), results.get(j).targetId());
                    } else {
                        failed++;
                    }
                }
            }
        } finally {
            pool.shutdown();
        }
    }
}
