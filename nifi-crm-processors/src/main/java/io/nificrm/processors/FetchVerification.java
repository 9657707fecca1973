package io.nificrm.processors;

import io.nificrm.api.CrmConnectionService;
import io.nificrm.api.CrmException;
import io.nificrm.api.CrmField;
import io.nificrm.api.CrmFieldType;
import io.nificrm.api.CrmObjectSchema;
import io.nificrm.api.CrmQuery;
import org.apache.nifi.components.ConfigVerificationResult;
import org.apache.nifi.components.ConfigVerificationResult.Outcome;

import java.util.ArrayList;
import java.util.List;

/** The verify() steps of the reading processors: object, fields, change field, record count, first page. */
final class FetchVerification {
    private FetchVerification() {
    }

    static List<ConfigVerificationResult> verify(CrmConnectionService service, String object, List<String> fields, boolean incremental) {
        List<ConfigVerificationResult> results = new ArrayList<>();
        CrmObjectSchema schema;
        try {
            schema = service.describe(object);
            results.add(result("Describe object", Outcome.SUCCESSFUL, object + " has " + schema.fields().size() + " fields"));
        } catch (CrmException e) {
            results.add(result("Describe object", Outcome.FAILED, "Cannot describe " + object + ": " + e.getMessage()));
            return results;
        }
        List<String> unknown = fields.stream().filter(f -> schema.field(f).isEmpty()).toList();
        results.add(unknown.isEmpty()
                ? result("Check fields", Outcome.SUCCESSFUL, fields.isEmpty() ? "All fields are read" : "All " + fields.size() + " fields exist")
                : result("Check fields", Outcome.FAILED, object + " has no field(s) " + unknown));
        if (incremental) {
            String modified = schema.modifiedField();
            CrmField field = modified == null ? null : schema.field(modified).orElse(null);
            results.add(field != null && field.type() == CrmFieldType.DATETIME
                    ? result("Check change field", Outcome.SUCCESSFUL, "Changes are tracked on " + modified)
                    : result("Check change field", Outcome.FAILED, object + " has no last-modified timestamp field"
                    + (modified == null ? "" : " (" + modified + " is " + (field == null ? "missing" : "a " + field.type().name().toLowerCase()) + ")")
                    + ", so it cannot be read incrementally"));
        }
        try {
            CrmConnectionService.RecordCount count = service.count(object);
            results.add(result("Count records", Outcome.SUCCESSFUL, (count.exact() ? "" : "At least ") + count.count() + " records"));
        } catch (CrmException e) {
            results.add(result("Count records", Outcome.FAILED, e.getMessage()));
        }
        if (unknown.isEmpty()) {
            try {
                int read = service.query(CrmQuery.of(object).withFields(fields).withPageSize(1)).records().size();
                results.add(result("Read first page", Outcome.SUCCESSFUL, "Read " + read + " record(s)"));
            } catch (CrmException e) {
                results.add(result("Read first page", Outcome.FAILED, e.getMessage()));
            }
        }
        return results;
    }

    static ConfigVerificationResult result(String step, Outcome outcome, String explanation) {
        return new ConfigVerificationResult.Builder().verificationStepName(step).outcome(outcome).explanation(explanation).build();
    }
}
