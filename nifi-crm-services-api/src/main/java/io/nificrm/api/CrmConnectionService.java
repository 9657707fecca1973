package io.nificrm.api;

import org.apache.nifi.controller.ControllerService;
import org.apache.nifi.serialization.record.Record;

import java.util.Collection;
import java.util.List;

/**
 * A connection to one CRM or database: Salesforce, HubSpot, Dynamics 365 / Dataverse, or a JDBC database.
 * <p>
 * Processors talk to every system through this interface only, so a flow can swap a source or a target by
 * swapping the service. Implementations own everything system-specific: authentication, the wire format,
 * paging style, rate limits and retries. Every method is safe to call from many processor threads at once,
 * and all of them share the service's rate-limit budget.
 * <p>
 * Errors: a call that fails as a whole (after the service's own retries) throws {@link CrmException}, whose
 * {@link CrmException#reason()} says what went wrong and {@link CrmException#isTransient()} whether trying
 * again later can succeed. Messages never contain secrets or record values.
 */
public interface CrmConnectionService extends ControllerService {

    /**
     * Name of the boolean field that marks a deleted (soft-deleted, archived, recycled) record in query results.
     * It is present in the records and their schema only when {@link CrmQuery#includeDeleted()} is set.
     */
    String DELETED_FIELD = "crm_deleted";

    /** The kind of system, lower case: {@code salesforce}, {@code hubspot}, {@code dynamics} or {@code jdbc}. */
    String system();

    /** What this connection can do and how fast it may go. Cheap; never calls the remote system. */
    CrmCapabilities capabilities();

    /**
     * Describes an object (table, entity, object type): its fields with type, required, unique, external-id
     * capability, length, picklist values and reference target. Results may be cached by the service.
     *
     * @param object the object's API name as the system spells it ({@code Contact}, {@code contacts}, {@code contact})
     * @throws CrmException with reason {@link CrmException.Reason#NOT_FOUND} when the object does not exist
     */
    CrmObjectSchema describe(String object);

    /**
     * Reads one page of records.
     * <ul>
     *   <li>Records carry the requested fields (all fields of the object when none are named), always including
     *       the object's id field and, when it has one, its modified-time field. Values use the Java types of
     *       {@link CrmFieldType}.</li>
     *   <li>With a {@link CrmQuery#window() change window} only records modified in {@code [from, until)} are
     *       returned, ordered by modified time ascending. Without one, the order is the system's stable order.</li>
     *   <li>With a {@link CrmQuery#partition() partition} only records whose partition field lies in its bounds
     *       are returned.</li>
     *   <li>To read the next page, pass the page's {@link CrmPage#nextCursor()} in an otherwise identical query.
     *       A cursor is an opaque string that may be stored (e.g. in NiFi state) and used after a restart.</li>
     * </ul>
     * A page holds at most {@link CrmQuery#pageSize()} records (the system may return fewer) and may be empty
     * without being the last one.
     */
    CrmPage query(CrmQuery query);

    /**
     * Writes one batch and returns exactly one result per input record, in input order. Per-record rejections
     * are results ({@link CrmWriteResult.Outcome#FAILED}), never exceptions. Only a failure of the call as a whole
     * (authentication, outage after retries, quota exhausted) throws {@link CrmException}; then no result is
     * known for any record of the batch.
     * <p>
     * The batch must not be larger than {@link CrmCapabilities#maxBatchSize()}.
     */
    List<CrmWriteResult> write(CrmWriteRequest request);

    /**
     * Finds live records whose {@code field} equals one of {@code values} (exact match; case-insensitive where the
     * system compares that way, e.g. e-mail addresses). Used to find what already exists in a target: duplicates of
     * incoming records, and parents that children reference. The service splits large value lists into as many
     * calls as its query language allows. Values are bound or escaped, never pasted into a query.
     *
     * @param fields the fields to return (empty: all); the id field and {@code field} are always included
     * @return matching records in no particular order; a value may match several records, or none
     */
    List<Record> lookup(String object, String field, Collection<String> values, List<String> fields);

    /**
     * Splits an object into about {@code count} slices on {@code field} for parallel loads: half-open ranges
     * {@code [lower, upper)} that cover every record exactly once (the first lower and the last upper bound are open).
     * {@code field} is the object's id field (id ranges; on Salesforce this is PK chunking) or its created-time field
     * (date slices). Systems that can count cheaply balance the slices by record count; others split the key space
     * evenly between the smallest and largest value. An empty object gives one open partition.
     *
     * @throws CrmException (CONFIGURATION) when the field cannot partition the object
     */
    List<CrmPartition> partitions(String object, String field, int count);

    /**
     * How many live records the object holds (deleted ones excluded). For planning; may be an estimate where the
     * system only offers one, which {@link RecordCount#exact()} tells.
     */
    RecordCount count(String object);

    /**
     * A record count.
     *
     * @param count the number of records
     * @param exact false when the system only gave an estimate or a capped count
     */
    record RecordCount(long count, boolean exact) {
    }

    /**
     * The URI that identifies an object of this system in provenance events ({@code transit URI}).
     * It never contains credentials.
     */
    String transitUri(String object);
}
