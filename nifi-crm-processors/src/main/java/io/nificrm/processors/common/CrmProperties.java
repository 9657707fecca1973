package io.nificrm.processors.common;

import io.nificrm.api.CrmConnectionService;
import org.apache.nifi.components.PropertyDescriptor;
import org.apache.nifi.expression.ExpressionLanguageScope;
import org.apache.nifi.processor.util.StandardValidators;
import org.apache.nifi.serialization.RecordReaderFactory;
import org.apache.nifi.serialization.RecordSetWriterFactory;

/** Properties shared by the bundle's processors. */
public final class CrmProperties {
    private CrmProperties() {
    }

    public static final PropertyDescriptor CONNECTION_SERVICE = new PropertyDescriptor.Builder()
            .name("CRM Connection Service")
            .description("The CRM or database to talk to.")
            .required(true)
            .identifiesControllerService(CrmConnectionService.class)
            .build();

    /** The object's API name; FlowFile attributes allowed where the processor takes input. */
    public static PropertyDescriptor object(ExpressionLanguageScope scope) {
        return new PropertyDescriptor.Builder()
                .name("Object")
                .description("API name of the object as the system spells it: Contact, Account, Opportunity (Salesforce); "
                        + "contacts, companies, deals (HubSpot); contact, account, opportunity (Dynamics 365); a table (JDBC).")
                .required(true)
                .expressionLanguageSupported(scope)
                .addValidator(StandardValidators.createRegexMatchingValidator(java.util.regex.Pattern.compile(
                        scope == ExpressionLanguageScope.NONE ? "[A-Za-z][A-Za-z0-9_]*" : "([A-Za-z][A-Za-z0-9_]*|.*\\$\\{.*)")))
                .build();
    }

    public static final PropertyDescriptor RECORD_READER = new PropertyDescriptor.Builder()
            .name("Record Reader")
            .description("Reads the incoming records (JSON, CSV, Excel, Avro, Parquet...).")
            .required(true)
            .identifiesControllerService(RecordReaderFactory.class)
            .build();

    public static final PropertyDescriptor RECORD_WRITER = new PropertyDescriptor.Builder()
            .name("Record Writer")
            .description("Writes the outgoing records.")
            .required(true)
            .identifiesControllerService(RecordSetWriterFactory.class)
            .build();
}
