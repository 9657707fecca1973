package io.nificrm.processors.twoway;

import org.apache.nifi.components.AllowableValue;
import org.apache.nifi.components.PropertyDescriptor;
import org.apache.nifi.context.PropertyContext;
import org.apache.nifi.distributed.cache.client.DistributedMapCacheClient;
import org.apache.nifi.processor.util.StandardValidators;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Pattern;

/** The properties that name a sync ledger; every processor of one two-way sync must name the same ledger. */
public final class LedgerProperties {
    private LedgerProperties() {
    }

    public static final AllowableValue DIRECTORY = new AllowableValue("directory", "Local Directory",
            "An embedded store (H2 MVStore) in Sync Ledger Directory, shared by the processors of this node that name it. "
                    + "For a single node, or a cluster whose sync flow runs on the primary node only.");
    public static final AllowableValue CACHE = new AllowableValue("cache", "Distributed Map Cache",
            "NiFi's distributed map cache, shared by every node.");

    public static final PropertyDescriptor LEDGER = new PropertyDescriptor.Builder()
            .name("Sync Ledger")
            .description("Where the sync ledger is kept: per linked pair of records, the ids on both sides and what was last "
                    + "synced. Both directions of a sync and their ConfirmCrmSync processors must use the same ledger.")
            .required(true)
            .allowableValues(DIRECTORY, CACHE)
            .defaultValue(DIRECTORY)
            .build();

    public static final PropertyDescriptor LEDGER_DIRECTORY = new PropertyDescriptor.Builder()
            .name("Sync Ledger Directory")
            .description("Directory of the embedded ledger (file " + LedgerStores.FILE_NAME + ").")
            .required(true)
            .dependsOn(LEDGER, DIRECTORY)
            .addValidator(StandardValidators.NON_BLANK_VALIDATOR)
            .build();

    public static final PropertyDescriptor LEDGER_CACHE = new PropertyDescriptor.Builder()
            .name("Sync Ledger Cache")
            .description("The distributed map cache client holding the ledger (two entries per linked pair, about 1 KB each).")
            .required(true)
            .dependsOn(LEDGER, CACHE)
            .identifiesControllerService(DistributedMapCacheClient.class)
            .build();

    public static final PropertyDescriptor SYNC_NAME = new PropertyDescriptor.Builder()
            .name("Sync Name")
            .description("Names this sync (e.g. salesforce-hubspot-contacts); prefixes its ledger keys, so several syncs can "
                    + "share one ledger store. The same in both directions and in ConfirmCrmSync.")
            .required(true)
            .addValidator(StandardValidators.createRegexMatchingValidator(Pattern.compile("[A-Za-z0-9_.-]+")))
            .build();

    public static final List<PropertyDescriptor> ALL = List.of(LEDGER, LEDGER_DIRECTORY, LEDGER_CACHE, SYNC_NAME);

    /** Opens the ledger the properties name. */
    public static LedgerStores.Handle open(PropertyContext context) throws IOException {
        if (CACHE.getValue().equals(context.getProperty(LEDGER).getValue())) {
            return LedgerStores.cache(context.getProperty(LEDGER_CACHE).asControllerService(DistributedMapCacheClient.class));
        }
        return LedgerStores.directory(Path.of(context.getProperty(LEDGER_DIRECTORY).getValue()));
    }
}
