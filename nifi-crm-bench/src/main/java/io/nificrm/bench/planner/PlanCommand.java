package io.nificrm.bench.planner;

import io.nificrm.processors.planner.MigrationPlan;
import io.nificrm.processors.planner.MigrationPlanner;
import io.nificrm.processors.planner.MigrationSpec;
import io.nificrm.processors.planner.ObjectSpec;
import io.nificrm.processors.planner.PlanningException;
import io.nificrm.processors.planner.SpecJson;
import io.nificrm.processors.planner.SystemSpec;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/**
 * The planner on the command line: {@code ./bench.sh planner plan SPEC.json [--json]} prints the plan of a spec file
 * (see {@link SpecJson}) as a table, or as JSON for tools; {@code -} reads the spec from standard input.
 * {@code ./bench.sh planner example} prints an example spec to start from. Problems of the spec are printed as
 * plain messages (exit status 2), never as stack traces.
 */
public final class PlanCommand {
    private PlanCommand() {
    }

    public static void main(String[] args) {
        System.exit(run(args));
    }

    static int run(String[] args) {
        if (args.length > 0 && args[0].equals("example")) {
            System.out.println(SpecJson.write(example()));
            return 0;
        }
        if (args.length < 2 || !args[0].equals("plan")) {
            System.err.println("Usage: ./bench.sh planner plan SPEC.json [--json]   (SPEC.json: - for standard input)\n"
                    + "       ./bench.sh planner example                  (prints an example spec)");
            return 2;
        }
        boolean json = args.length > 2 && args[2].equals("--json");
        try {
            String text = args[1].equals("-") ? new String(System.in.readAllBytes(), StandardCharsets.UTF_8)
                    : Files.readString(Path.of(args[1]));
            MigrationPlan plan = MigrationPlanner.plan(SpecJson.parse(text));
            System.out.println(json ? plan.toJson() : plan.toTable());
            return 0;
        } catch (PlanningException e) {
            System.err.println(e.getMessage());
            return 2;
        } catch (NoSuchFileException e) {
            System.err.println("No such spec file: " + e.getFile());
            return 2;
        } catch (IOException e) {
            System.err.println("Cannot read the spec: " + e.getMessage());
            return 2;
        }
    }

    static MigrationSpec example() {
        return MigrationSpec.builder()
                .source(new SystemSpec("salesforce", 2000, 200, null, null, 15_000, 0, 25, Duration.ofMillis(800), true))
                .target(new SystemSpec("hubspot", 100, 100, 190, Duration.ofSeconds(10), 0, 0, 0, Duration.ofMillis(300), true))
                .object(ObjectSpec.of("Account", 1_000, Map.of("ParentId", "Account")).withTargetName("companies"))
                .object(ObjectSpec.of("Contact", 5_000, Map.of("AccountId", "Account")).withTargetName("contacts"))
                .object(ObjectSpec.of("Opportunity", 1_000, Map.of("AccountId", "Account", "ContactId", "Contact")).withTargetName("deals"))
                .ignore("Account.ParentId").nodes(1).threadsPerNode(8).build();
    }
}
