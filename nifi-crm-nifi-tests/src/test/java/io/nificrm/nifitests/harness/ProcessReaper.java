package io.nificrm.nifitests.harness;

import java.nio.file.Path;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Fallback so no NiFi outlives the test JVM: processes registered here are terminated by a JVM shutdown hook
 * (SIGTERM, then SIGKILL after a few seconds) unless they were stopped normally and unregistered before. A test JVM
 * killed with SIGKILL runs no hook; the NiFi it leaves behind is stopped by the next run
 * ({@link #stopOrphansOf(Path)}).
 */
final class ProcessReaper {

    private static final Set<Process> PROCESSES = ConcurrentHashMap.newKeySet();
    private static final long GRACE_MILLIS = 8_000;
    /** JVM flag prefix that marks a NiFi started by this harness; the value is the node's home folder. */
    static final String HOME_MARKER = "-Dnifi.tests.home=";
    /** JVM flag prefix whose value is the pid of the test JVM that started the NiFi. */
    static final String OWNER_MARKER = "-Dnifi.tests.owner=";

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(ProcessReaper::reapAll, "nifi-process-reaper"));
    }

    private ProcessReaper() {
    }

    static void register(Process process) {
        PROCESSES.add(process);
    }

    static void unregister(Process process) {
        PROCESSES.remove(process);
    }

    /**
     * Stops NiFi processes an earlier, killed test JVM left running: those started by this harness (their command
     * line has {@value #HOME_MARKER} with a home under {@code workDir}) whose owner, the test JVM named by
     * {@value #OWNER_MARKER}, is gone.
     */
    static void stopOrphansOf(Path workDir) {
        String prefix = HOME_MARKER + workDir.toAbsolutePath().normalize();
        ProcessHandle.allProcesses()
                .filter(p -> p.info().commandLine().map(c -> c.contains(prefix)).orElse(false))
                .filter(p -> !ownerAlive(p.info().commandLine().orElse("")))
                .forEach(orphan -> {
                    System.err.println("Stopping NiFi left running by an earlier test run: pid " + orphan.pid() + " "
                            + orphan.info().commandLine().orElse(""));
                    orphan.destroy();
                    try {
                        orphan.onExit().get(GRACE_MILLIS, TimeUnit.MILLISECONDS);
                    } catch (Exception e) {
                        orphan.destroyForcibly();
                    }
                });
    }

    /** The flag that names the test JVM owning a NiFi process. */
    static String ownerFlag() {
        return OWNER_MARKER + ProcessHandle.current().pid();
    }

    private static boolean ownerAlive(String commandLine) {
        Matcher owner = Pattern.compile(Pattern.quote(OWNER_MARKER) + "(\\d+)").matcher(commandLine);
        return owner.find() && ProcessHandle.of(Long.parseLong(owner.group(1))).map(ProcessHandle::isAlive)
                .orElse(false);
    }

    private static void reapAll() {
        for (Process process : PROCESSES) {
            if (process.isAlive()) {
                System.err.println("Stopping leftover child process " + process.pid() + " (NiFi or the simulator)");
                process.destroy();
            }
        }
        long deadline = System.currentTimeMillis() + GRACE_MILLIS;
        for (Process process : PROCESSES) {
            try {
                long left = Math.max(0, deadline - System.currentTimeMillis());
                if (!process.waitFor(left, TimeUnit.MILLISECONDS)) {
                    process.destroyForcibly();
                }
            } catch (InterruptedException e) {
                process.destroyForcibly();
            }
        }
    }
}
