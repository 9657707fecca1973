package io.nificrm.processors;

import io.nificrm.processors.common.CrmAttributes;
import org.apache.nifi.annotation.behavior.InputRequirement;
import org.apache.nifi.annotation.behavior.WritesAttribute;
import org.apache.nifi.annotation.behavior.WritesAttributes;
import org.apache.nifi.annotation.documentation.CapabilityDescription;
import org.apache.nifi.annotation.documentation.SeeAlso;
import org.apache.nifi.annotation.documentation.Tags;
import org.apache.nifi.components.PropertyDescriptor;
import org.apache.nifi.expression.ExpressionLanguageScope;
import org.apache.nifi.flowfile.FlowFile;
import org.apache.nifi.processor.AbstractProcessor;
import org.apache.nifi.processor.ProcessContext;
import org.apache.nifi.processor.ProcessSession;
import org.apache.nifi.processor.Relationship;
import org.apache.nifi.processor.exception.ProcessException;
import org.apache.nifi.processor.util.StandardValidators;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Set;

/** Keeps rejected records and run reports as files for people to review. */
@InputRequirement(InputRequirement.Requirement.INPUT_REQUIRED)
@Tags({"crm", "review", "rejects", "errors", "report", "file", "dead letter"})
@CapabilityDescription("Writes each FlowFile's content to a file in a review directory: records a target rejected (with "
        + "crm_error_code and crm_error_message), records that failed validation (crm_invalid_reason), possible duplicates "
        + "for review, exhausted retries, and run reports — like a data loader's error file, in whatever format the "
        + "upstream Record Writer produced (CSV opens in a spreadsheet). File names default to "
        + "<object>-<stage>-<relationship>-<load>-<uuid>. Files are written to a temporary name and moved into place, so "
        + "a reader never sees half a file.")
@WritesAttributes({@WritesAttribute(attribute = "crm.review.path", description = "The file written")})
@SeeAlso({TrackCrmLoad.class, UpsertCrmRecords.class, MapCrmFields.class})
public class StoreCrmReview extends AbstractProcessor {

    static final PropertyDescriptor DIRECTORY = new PropertyDescriptor.Builder()
            .name("Directory")
            .description("Where the files go; created if missing.")
            .required(true)
            .expressionLanguageSupported(ExpressionLanguageScope.FLOWFILE_ATTRIBUTES)
            .addValidator(StandardValidators.NON_BLANK_VALIDATOR)
            .build();

    static final PropertyDescriptor FILE_NAME = new PropertyDescriptor.Builder()
            .name("File Name")
            .description("The file's name.")
            .required(true)
            .defaultValue("${crm.object:replaceNull('records')}-${crm.stage:replaceNull('flow')}-${crm.relationship:replaceNull('review')}-"
                    + "${crm.load.id:replaceNull('run')}-${uuid}.${mime.type:equals('text/csv'):ifElse('csv', 'json')}")
            .expressionLanguageSupported(ExpressionLanguageScope.FLOWFILE_ATTRIBUTES)
            .addValidator(StandardValidators.NON_BLANK_VALIDATOR)
            .build();

    static final Relationship REL_SUCCESS = new Relationship.Builder().name("success").description("Stored").build();
    static final Relationship REL_FAILURE = new Relationship.Builder().name("failure")
            .description("Could not be stored (the directory is not writable, the name is not a plain file name)").build();

    @Override
    protected List<PropertyDescriptor> getSupportedPropertyDescriptors() {
        return List.of(DIRECTORY, FILE_NAME);
    }

    @Override
    public Set<Relationship> getRelationships() {
        return Set.of(REL_SUCCESS, REL_FAILURE);
    }

    @Override
    public void onTrigger(ProcessContext context, ProcessSession session) throws ProcessException {
        FlowFile flowFile = session.get();
        if (flowFile == null) {
            return;
        }
        Path directory = Path.of(context.getProperty(DIRECTORY).evaluateAttributeExpressions(flowFile).getValue());
        String name = context.getProperty(FILE_NAME).evaluateAttributeExpressions(flowFile).getValue();
        if (name.contains("/") || name.contains("\\") || name.startsWith(".")) {
            fail(session, flowFile, "The file name must be a plain name, not a path: " + name);
            return;
        }
        Path target = directory.resolve(name);
        try {
            Files.createDirectories(directory);
            Path partial = directory.resolve("." + name + ".partial");
            try (InputStream in = session.read(flowFile)) {
                Files.copy(in, partial, StandardCopyOption.REPLACE_EXISTING);
            }
            Files.move(partial, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            fail(session, flowFile, "Cannot write " + target + ": " + e.getMessage());
            return;
        }
        session.getProvenanceReporter().send(flowFile, target.toUri().toString());
        session.transfer(session.putAttribute(flowFile, "crm.review.path", target.toString()), REL_SUCCESS);
    }

    private void fail(ProcessSession session, FlowFile flowFile, String message) {
        getLogger().error("Cannot store {}: {}", flowFile, message);
        session.transfer(session.putAttribute(flowFile, CrmAttributes.ERROR_MESSAGE, message), REL_FAILURE);
    }
}
