package io.nificrm.nifitests.harness;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Fallback so no NiFi outlives the test JVM: processes registered here are terminated by a JVM shutdown hook
 * (SIGTERM, then SIGKILL after a few seconds) unless they were stopped normally and unregistered before.
 */
final class ProcessReaper {

    private static final Set<Process> PROCESSES = ConcurrentHashMap.newKeySet();
    private static final long GRACE_MILLIS = 8_000;

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

    private static void reapAll() {
        for (Process process : PROCESSES) {
            if (process.isAlive()) {
                System.err.println("Stopping leftover NiFi process " + process.pid());
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
