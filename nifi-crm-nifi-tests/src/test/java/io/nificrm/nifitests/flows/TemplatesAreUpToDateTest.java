package io.nificrm.nifitests.flows;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The files in templates/ are exactly what {@link FlowTemplates} generates. After changing FlowTemplates, rewrite them:
 * {@code mvn -pl nifi-crm-nifi-tests test -Dtest=TemplatesAreUpToDateTest -Dtemplates.write=true -DskipNiFiTests}.
 */
class TemplatesAreUpToDateTest {

    @Test
    void theTemplateFilesAreWhatFlowTemplatesGenerates() throws IOException {
        boolean write = Boolean.getBoolean("templates.write");
        List<String> stale = new ArrayList<>();
        for (FlowTemplates.Template template : FlowTemplates.all()) {
            Path file = TemplateFiles.file(template.path());
            String expected = TemplateFiles.render(template.json());
            String actual = Files.isRegularFile(file) ? Files.readString(file, StandardCharsets.UTF_8) : null;
            if (!expected.equals(actual)) {
                if (write) {
                    Files.createDirectories(file.getParent());
                    Files.writeString(file, expected, StandardCharsets.UTF_8);
                } else {
                    stale.add(file.toString());
                }
            }
        }
        assertTrue(stale.isEmpty(), "These flow definitions differ from what FlowTemplates generates: " + stale
                + ". Port a hand edit into FlowTemplates, then rewrite the files with "
                + "'mvn -pl nifi-crm-nifi-tests test -Dtest=TemplatesAreUpToDateTest -Dtemplates.write=true -DskipNiFiTests'.");
    }
}
