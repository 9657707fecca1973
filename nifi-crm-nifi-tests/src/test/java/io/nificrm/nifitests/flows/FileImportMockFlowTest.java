package io.nificrm.nifitests.flows;

import io.nificrm.nifitests.harness.SimulatorAdmin;
import io.nificrm.simulator.CrmSimulator;
import io.nificrm.simulator.SimulatorConfig;
import io.nificrm.simulator.SimulatorCredentials;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * templates/file-import/csv-to-hubspot.json run in nifi-mock (no NiFi needed, default build): NiFi's stock ListFile,
 * FetchFile, CSVReader, ConvertRecord and CSVRecordSetWriter (nifi-standard-processors and
 * nifi-record-serialization-services 2.3.0 on the test classpath) with our processors, against an embedded simulator.
 */
class FileImportMockFlowTest {

    @TempDir
    Path dir;
    private CrmSimulator sim;

    @BeforeEach
    void start() {
        sim = CrmSimulator.start(SimulatorConfig.defaults().unlimited());
    }

    @AfterEach
    void stop() {
        sim.close();
    }

    @Test
    void aCsvFileIsImportedAndItsRejectedRowsAreWrittenBackWithTheirReasons() throws Exception {
        Path input = Files.createDirectories(dir.resolve("in"));
        Path processed = dir.resolve("processed");
        Path results = dir.resolve("results");
        SimulatorAdmin admin = new SimulatorAdmin(sim.baseUrl());
        FileImportData data = FileImportData.write(input, admin);
        Files.setLastModifiedTime(data.file(), FileTime.from(Instant.now().minusSeconds(60)));

        MockFlowRunner flow = new MockFlowRunner(TemplateFiles.read(TemplateFiles.file(FlowTemplates.FILE_IMPORT_HUBSPOT)), Map.of(
                "target.base.url", sim.baseUrl(),
                "target.access.token", SimulatorCredentials.HUBSPOT_PRIVATE_APP_TOKEN,
                "import.directory", input.toString(),
                "import.processed.directory", processed.toString(),
                "import.results.directory", results.toString(),
                "import.min.file.age", "0 sec"));
        flow.runUntilIdle(50);
        for (int i = 0; i < 5 && Files.exists(data.file()); i++) {
            Thread.sleep(1100); // the lister holds back files as new as its last listing for a moment
            flow.triggerSourcesAndRun(50);
        }
        assertFalse(Files.exists(data.file()), "the input file was picked up; transfers: " + flow.transfers());
        assertTrue(Files.exists(processed.resolve(FileImportData.FILE_NAME)), "and moved to the processed directory");
        data.assertImported(results, admin);
    }
}
