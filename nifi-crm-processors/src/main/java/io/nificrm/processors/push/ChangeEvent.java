package io.nificrm.processors.push;

import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * One change notification, as every webhook format is reduced to before it becomes a change record
 * ({@link io.nificrm.api.ChangeRecords}).
 *
 * @param system        the reporting system: hubspot, dynamics, salesforce
 * @param object        the object as the system's connection service names it (contacts, contact, Contact)
 * @param operation     create, update, delete or upsert
 * @param key           the record's id in the source system
 * @param changedFields the fields that changed, when the notification says (else null)
 * @param timestamp     when the change happened at the source, or null
 * @param origin        who made the change: system/instance[/source]
 * @param eventId       the notification's own id (HubSpot eventId, Dataverse RequestId, Salesforce Notification Id)
 * @param dedupKey      the key a re-delivery of this notification is recognised by
 * @param fields        field values the notification carries (text), in order
 */
public record ChangeEvent(String system, String object, String operation, String key, List<String> changedFields,
                          Instant timestamp, String origin, String eventId, String dedupKey, Map<String, String> fields) {
}
