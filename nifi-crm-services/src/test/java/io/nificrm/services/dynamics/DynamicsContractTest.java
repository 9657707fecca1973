package io.nificrm.services.dynamics;

import io.nificrm.api.CrmPartition;
import io.nificrm.api.CrmQuery;
import io.nificrm.services.AbstractCrmConnectionService;
import io.nificrm.services.ConnectionServiceContractTest;
import io.nificrm.simulator.CrmSimulator;
import io.nificrm.simulator.SimulatorCredentials;
import org.apache.nifi.controller.ControllerService;
import org.apache.nifi.serialization.SimpleRecordSchema;
import org.apache.nifi.serialization.record.MapRecord;
import org.apache.nifi.serialization.record.Record;
import org.apache.nifi.serialization.record.RecordField;
import org.apache.nifi.serialization.record.RecordFieldType;
import org.apache.nifi.util.TestRunner;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The shared connection-service contract, run against the Dataverse persona. */
class DynamicsContractTest extends ConnectionServiceContractTest {

    @Override
    protected String system() {
        return "dynamics";
    }

    @Override
    protected String contactObject() {
        return "contact";
    }

    @Override
    protected AbstractCrmConnectionService newService() {
        return new DynamicsConnectionService();
    }

    @Override
    protected void configure(TestRunner runner, ControllerService service, CrmSimulator sim) {
        runner.setProperty(service, DynamicsConnectionService.ENVIRONMENT_URL, sim.baseUrl());
        runner.setProperty(service, DynamicsConnectionService.TENANT_ID, SimulatorCredentials.DYNAMICS_TENANT_ID);
        runner.setProperty(service, DynamicsConnectionService.CLIENT_ID, SimulatorCredentials.DYNAMICS_CLIENT_ID);
        runner.setProperty(service, DynamicsConnectionService.CLIENT_SECRET, SimulatorCredentials.DYNAMICS_CLIENT_SECRET);
        runner.setProperty(service, DynamicsConnectionService.TOKEN_URL, sim.baseUrl() + "/{tenant}/oauth2/v2.0/token");
    }

    @Override
    protected String upsertKey() {
        return "nificrm_sourceid";
    }

    /**
     * Dataverse stores any text in an e-mail column (it has no format check), so the contract's "malformed e-mail the
     * target refuses" becomes an e-mail longer than the column's 100 characters, which Dataverse does refuse.
     */
    @Override
    protected Record contact(String key, String lastName, String email) {
        String value = email.contains("@") ? email : email + "x".repeat(100) + "@example.com";
        var schema = new SimpleRecordSchema(List.of(
                new RecordField("nificrm_sourceid", RecordFieldType.STRING.getDataType()),
                new RecordField("lastname", RecordFieldType.STRING.getDataType()),
                new RecordField("emailaddress1", RecordFieldType.STRING.getDataType())));
        return new MapRecord(schema, new HashMap<>(Map.of("nificrm_sourceid", key, "lastname", lastName, "emailaddress1", value)));
    }

    @Test
    void idPartitionsAreBalancedAndCoverEveryRecordOnce() {
        List<CrmPartition> partitions = service.partitions("contact", "contactid", 4);
        assertEquals(4, partitions.size());
        assertNull(partitions.get(0).lower());
        assertNull(partitions.get(3).upper());
        List<String> ids = new ArrayList<>();
        for (CrmPartition partition : partitions) {
            List<String> slice = readAll(service, CrmQuery.of("contact").withPartition(partition).withPageSize(2000));
            assertTrue(Math.abs(slice.size() - SEEDED / 4) <= 1, "balanced: " + slice.size());
            ids.addAll(slice);
        }
        assertEquals(SEEDED, ids.size());
        assertEquals(SEEDED, new HashSet<>(ids).size());

        List<CrmPartition> byDate = service.partitions("contact", "createdon", 3);
        List<String> dated = new ArrayList<>();
        byDate.forEach(p -> dated.addAll(readAll(service, CrmQuery.of("contact").withPartition(p).withPageSize(5000))));
        assertEquals(SEEDED, new HashSet<>(dated).size());
        assertEquals(SEEDED, dated.size());
    }
}
