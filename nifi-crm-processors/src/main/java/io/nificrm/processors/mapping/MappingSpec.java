package io.nificrm.processors.mapping;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.databind.JsonNode;

import java.util.List;
import java.util.Map;

/**
 * A declarative mapping from source records to target records, kept as JSON (in a property or a file under
 * version control). Unknown keys are refused, so a typo is an error rather than a silently ignored rule.
 * <pre>{@code
 * {
 *   "name": "salesforce-contact-to-hubspot-contact",
 *   "source": {"system": "salesforce", "object": "Contact"},
 *   "target": {"system": "hubspot", "object": "contacts"},
 *   "fields": [
 *     {"target": "email", "source": "Email", "transforms": ["email"]},
 *     {"target": "phone", "source": "Phone", "transforms": [{"e164": {"regionField": "MailingCountry", "defaultRegion": "US"}}]},
 *     {"target": "lifecyclestage", "constant": "lead"},
 *     {"target": "hs_lead_status", "source": "Status", "valueMap": {"Open": "OPEN"}, "unmappedValues": "error"},
 *     {"target": "date_of_birth", "source": "Birthdate", "type": "date"},
 *     {"target": "firstname", "source": "Name", "split": {"part": "first"}},
 *     {"target": "fullname", "sources": ["FirstName", "LastName"], "separator": " "},
 *     {"target": "company", "recordPath": "/Account/Name"},
 *     {"target": "email_hash", "source": "Email", "pii": "hash"}
 *   ]
 * }
 * }</pre>
 *
 * @param name        a name for messages and provenance
 * @param description free text
 * @param source      where records come from (documentation and suggestion input)
 * @param target      where they go; with a target connection service, records are validated against its describe
 * @param fields      one entry per target field
 */
@JsonIgnoreProperties(value = {"$schema", "$comment"})
public record MappingSpec(String name, String description, Endpoint source, Endpoint target, List<FieldMapping> fields) {

    /** A system and object the mapping reads from or writes to. */
    @JsonIgnoreProperties(value = {"$comment"})
    public record Endpoint(String system, String object) {
    }

    /**
     * One target field and where its value comes from. Exactly one of {@code source}, {@code sources},
     * {@code recordPath}, {@code constant} gives the value (or only {@code default}); the rest shapes it, in this
     * order: split or concatenation, transforms, value map, type conversion, default, format check, PII protection.
     *
     * @param target         target field name; {@code Account.External_Id__c}, {@code parentcustomerid.nificrm_sourceid}
     *                       and {@code associations.companies} are references the connection services resolve
     * @param source         source field name; {@code a.b} reads field b of the nested record (or map) a
     * @param sources        several source fields, joined with {@code separator} (blank values skipped)
     * @param separator      joins {@code sources} (default one space)
     * @param recordPath     a NiFi RecordPath evaluated on the source record ({@code /Account/Name},
     *                       {@code coalesce(/MobilePhone, /Phone)}, {@code substringAfter(/Email, '@')}); the first
     *                       selected value is taken
     * @param constant       a fixed value
     * @param split          take one part of a full name: {@code {"part": "first"|"last"}}
     * @param transforms     applied in order: trim, lowercase, uppercase, titlecase, collapse_spaces, digits, email,
     *                       domain, null_if_blank, country_code, country_name, {"truncate": n},
     *                       {"replace": {"pattern": "...", "with": "..."}}, {"multiply": n}, {"round": digits},
     *                       {"e164": {"defaultRegion": "US", "regionField": "Country", "validate": "valid"|"possible",
     *                       "onInvalid": "error"|"keep"|"null"}}
     * @param valueMap       source value → target value (picklists, stages, countries); case-insensitive keys
     * @param unmappedValues what a value missing from valueMap becomes: "keep" (default), "null", "default" or "error"
     * @param type           target type: string, integer, decimal, boolean, date, datetime (default: from the target's
     *                       describe when known, else string)
     * @param formats        date or date-time patterns (java.time) tried in order for text input, after ISO-8601
     * @param zone           time zone for date-times without an offset (default UTC)
     * @param defaultValue   used when the value is null or blank after everything else ({@code "default"} in JSON)
     * @param required       the target needs a value (adds to what describe says)
     * @param format         checks the value's form whatever the target's describe says: "email" or "phone"
     * @param pii            mask, hash or drop
     * @param comment        free text
     */
    @JsonIgnoreProperties(value = {"$comment"})
    public record FieldMapping(String target, String source, List<String> sources, String separator, String recordPath,
                               JsonNode constant, Map<String, String> split, List<JsonNode> transforms,
                               Map<String, String> valueMap, String unmappedValues, String type, List<String> formats,
                               String zone, @com.fasterxml.jackson.annotation.JsonProperty("default") JsonNode defaultValue,
                               Boolean required, String format, String pii, String comment) {
    }
}
