package io.nificrm.services.hubspot;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.nificrm.api.CrmField;
import io.nificrm.api.CrmObjectSchema;
import io.nificrm.api.CrmPage;
import io.nificrm.api.CrmQuery;
import io.nificrm.services.records.Cursors;
import io.nificrm.services.records.RecordFactory;

import java.util.List;

/**
 * Full reads through the object list endpoint, following {@code paging.next.after}. With deleted records
 * included, a second phase lists the archived ones (HubSpot returns only archived records when asked for them).
 */
final class HubSpotListReader {
    private final HubSpotConnectionService service;
    private final CrmObjectSchema schema;
    private final RecordFactory factory;

    HubSpotListReader(HubSpotConnectionService service, CrmObjectSchema schema, RecordFactory factory) {
        this.service = service;
        this.schema = schema;
        this.factory = factory;
    }

    CrmPage read(CrmQuery query, List<CrmField> fields, ObjectNode cursor) {
        boolean archived = cursor != null && cursor.path("phase").asText("live").equals("archived");
        StringBuilder path = new StringBuilder("/crm/v3/objects/").append(schema.name())
                .append("?limit=").append(Math.min(HubSpotConnectionService.MAX_PAGE, query.pageSize()))
                .append("&archived=").append(archived)
                .append("&properties=").append(HubSpotConnectionService.encode(HubSpotConnectionService.propertyList(fields)));
        if (cursor != null && cursor.hasNonNull("after")) {
            path.append("&after=").append(HubSpotConnectionService.encode(cursor.get("after").asText()));
        }
        String what = (archived ? "list archived " : "list ") + schema.name();
        JsonNode page = service.client().sendJson(t -> service.get(path.toString()), what, true);
        Boolean deleted = query.includeDeleted() ? archived : null;
        var records = HubSpotConnectionService.records(page.path("results"), factory, deleted);
        String after = page.path("paging").path("next").path("after").asText(null);
        ObjectNode next = null;
        if (after != null) {
            next = Cursors.newCursor().put("phase", archived ? "archived" : "live").put("after", after);
        } else if (!archived && query.includeDeleted()) {
            next = Cursors.newCursor().put("phase", "archived");
        }
        return new CrmPage(factory.schema(), records, next == null ? null : Cursors.encode(next));
    }
}
