package io.nificrm.processors.planner;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Plans a migration: order, partitions, batch size and concurrency per stage, the binding limit of each stage, and the
 * duration with its lower bound and the days a daily quota imposes. See docs/PLANNER.md for the model and why the
 * method is good enough.
 * <p>
 * What is minimized is the makespan (the time until the last record is written), subject to: each side's request
 * budget (its rate limit, shared by every stage and node), each side's concurrency (its cap on calls in flight and
 * the NiFi tasks, with the call latency), each stage's chains (one page at a time per partition, one batch at a time
 * per FlowFile), the order (an object starts when every object it references is written) and the daily quotas.
 * <p>
 * Method: per stage, the partition count is chosen by enumeration (the count whose stage ends first when run alone);
 * the stages are then scheduled as fluid jobs whose shares of the budgets come from a small LP at every event
 * ({@link FluidScheduler}); a lower bound certifies how far the result can be from the best schedule.
 */
public final class MigrationPlanner {
    /** This project's client throttle stretches every window by 2% plus 40 ms ({@code RequestThrottle}). */
    static final double WINDOW_STRETCH = 1.02;
    static final double WINDOW_SLACK_SECONDS = 0.040;
    /** Concurrency above the Little's-law minimum (rate × latency) so jitter does not starve the budget. */
    static final double HEADROOM = 1.25;
    /** A partition holds at most this many pages, so a failed partition re-reads little and progress stays visible. */
    static final int PAGES_PER_PARTITION = 25;
    /** GenerateCrmPartitions makes at most this many partitions. */
    static final int MAX_PARTITIONS = 10_000;
    /** FlowFiles of about this many records when the source is not modeled (FetchCrmPartition's default). */
    static final int FLOWFILE_RECORDS = 10_000;
    /** FlowFiles hold at least this many records (rounded up to a multiple of page and batch size). */
    static final int FLOWFILE_MIN_RECORDS = 1_000;
    /** NiFi's default Maximum Timer Driven Thread Count. */
    static final int NIFI_DEFAULT_THREADS = 10;
    /** More days than this is not a plan. */
    static final int MAX_DAYS = 3660;

    private MigrationPlanner() {
    }

    /**
     * One side's effective limits for the whole cluster.
     *
     * @param slots most calls in flight the side allows (its concurrency cap, or the NiFi tasks)
     * @param tasks the concurrent tasks the plan gives the side's processor, cluster-wide: enough to keep the request
     *              window busy (rate × latency, with headroom), at most {@code slots}
     */
    private record SideModel(SystemSpec spec, boolean modeled, double rate, double burst, int slots, String slotsLabel,
                             double latency, int tasks) {
        double concurrencyRate() {
            return tasks / latency;
        }

        double sustained() {
            return Math.min(rate, concurrencyRate());
        }

        String tasksLabel() {
            return tasks < slots ? tasks + " tasks" : slotsLabel;
        }
    }

    /** Sizing of one stage. */
    private record Sizing(DependencyGraph.StageDef def, long records, int partitions, long perPartition, long reads, long writes,
                          long sourceOverhead, long targetOverhead, double cap, double alone, double startDelay, double drain,
                          String binding, int readStreams, int writeCalls) {
    }

    /**
     * Plans the migration.
     *
     * @throws PlanningException listing every problem of the inputs, in plain words
     */
    public static MigrationPlan plan(MigrationSpec spec) {
        List<String> problems = new ArrayList<>();
        validate(spec, problems);
        if (spec.source() == null || spec.target() == null) {
            throw new PlanningException(problems);
        }
        List<String> graphProblems = new ArrayList<>();
        DependencyGraph graph = DependencyGraph.build(spec.objects(), spec.deferredReferences(), spec.ignoredReferences(), graphProblems);
        problems.addAll(graphProblems);
        if (!problems.isEmpty()) {
            throw new PlanningException(problems);
        }
        SideModel source = side(spec.source(), spec);
        SideModel target = side(spec.target(), spec);
        int pageSize = !source.modeled() ? 0 : spec.pageSize() != null ? spec.pageSize() : spec.source().maxPageSize();
        int batchSize = !target.modeled() ? 0 : spec.batchSize() != null ? spec.batchSize() : spec.target().maxBatchSize();
        int flowFileRecords = !source.modeled() ? (int) (ceilDiv(FLOWFILE_RECORDS, Math.max(1, batchSize)) * Math.max(1, batchSize))
                : flowFileRecords(pageSize, target.modeled() ? batchSize : pageSize);
        List<Sizing> sizings = new ArrayList<>();
        Set<String> described = new java.util.HashSet<>();
        for (DependencyGraph.StageDef def : graph.stages) {
            sizings.add(size(def, spec, source, target, pageSize, batchSize, flowFileRecords, described.add(def.object().name())));
        }
        checkQuotaFeasible(sizings, source, target, problems);
        if (!problems.isEmpty()) {
            throw new PlanningException(problems);
        }

        // The stages in topological order, for the scheduler.
        List<Integer> order = graph.order;
        int[] position = new int[order.size()];
        for (int k = 0; k < order.size(); k++) {
            position[order.get(k)] = k;
        }
        List<FluidScheduler.Stage> stages = new ArrayList<>();
        for (int stageIndex : order) {
            Sizing s = sizings.get(stageIndex);
            int[] parents = s.def().parents().stream().mapToInt(p -> position[p]).toArray();
            stages.add(new FluidScheduler.Stage(s.def().label(), s.records(), parents, s.reads(), s.writes(), s.cap(), s.alone(),
                    s.startDelay(), s.drain()));
        }
        double[] tail = tails(stages);
        FluidScheduler.Side sourceSide = schedulerSide(source);
        FluidScheduler.Side targetSide = schedulerSide(target);
        // Three priority rules; the LP allocation makes each of them within the bound, the best one is kept.
        double[][] rules = {tail, ones(stages.size()), aloneDurations(stages)};
        FluidScheduler.Result best = null;
        for (double[] weights : rules) {
            FluidScheduler.Result result = FluidScheduler.run(stages, sourceSide, targetSide, weights);
            if (best == null || result.makespan() < best.makespan() - 1e-9) {
                best = result;
            }
        }

        // The lower bound: each side's work at its sustained capacity (after the first window), and the critical path.
        double sourceWork = stages.stream().mapToDouble(FluidScheduler.Stage::reads).sum();
        double targetWork = stages.stream().mapToDouble(FluidScheduler.Stage::writes).sum();
        double lbSource = source.modeled() ? Math.max(0, sourceWork - source.burst()) / source.sustained() : 0;
        double lbTarget = target.modeled() ? Math.max(0, targetWork - target.burst()) / target.sustained() : 0;
        // The critical path with every stage as fast as it could ever be (alone, and with the first window's burst).
        double[] fastest = new double[stages.size()];
        for (int k = 0; k < stages.size(); k++) {
            FluidScheduler.Stage s = stages.get(k);
            double transfer = Double.isInfinite(s.cap()) ? 0 : 1 / s.cap();
            if (source.modeled()) {
                transfer = Math.max(transfer, Math.max(0, s.reads() - source.burst()) / source.sustained());
            }
            if (target.modeled()) {
                transfer = Math.max(transfer, Math.max(0, s.writes() - target.burst()) / target.sustained());
            }
            fastest[k] = s.startDelay() + transfer + s.drain();
        }
        double[] fastestTail = tails(stages, fastest);
        double criticalPath = 0;
        for (double t : fastestTail) {
            criticalPath = Math.max(criticalPath, t);
        }
        double lowerBound = Math.max(criticalPath, Math.max(lbSource, lbTarget));
        String lowerBoundReason;
        String binding;
        // A budget that carries at least 97% of the bound is what binds (start-up latencies make up the rest).
        double budgetBound = Math.max(lbSource, lbTarget);
        if (budgetBound > 0 && budgetBound >= 0.97 * lowerBound && lbTarget >= lbSource) {
            lowerBoundReason = "all " + PlanFormat.count((long) targetWork) + " target calls at " + PlanFormat.rate(target.sustained()) + " req/s";
            binding = target.spec().system() + " (target) " + budgetLabel(target);
        } else if (budgetBound > 0 && budgetBound >= 0.97 * lowerBound) {
            lowerBoundReason = "all " + PlanFormat.count((long) sourceWork) + " source calls at " + PlanFormat.rate(source.sustained()) + " req/s";
            binding = source.spec().system() + " (source) " + budgetLabel(source);
        } else {
            List<String> path = criticalChain(stages, fastestTail);
            lowerBoundReason = "the critical path " + String.join(" → ", path);
            binding = "the order of the stages (critical path " + String.join(" → ", path) + ")";
            if (budgetBound >= 0.5 * lowerBound) {
                binding += ", then " + (lbTarget >= lbSource ? target.spec().system() + " (target) " + budgetLabel(target)
                        : source.spec().system() + " (source) " + budgetLabel(source));
            } else {
                binding += ": the stages are too small to use the request budgets fully, so call latency and chains of calls decide";
            }
        }

        List<MigrationPlan.StagePlan> stagePlans = new ArrayList<>();
        for (int k = 0; k < order.size(); k++) {
            Sizing s = sizings.get(order.get(k));
            List<String> after = new ArrayList<>();
            for (int p = 0; p < s.def().parents().size(); p++) {
                after.add(s.def().reasons().get(p));
            }
            List<String> shared = best.sharedWith().get(k).stream().sorted().map(j -> stages.get(j).label()).toList();
            List<String> dependsOn = s.def().parents().stream().map(p -> graph.stages.get(p).label()).toList();
            stagePlans.add(new MigrationPlan.StagePlan(k + 1, s.def().label(), s.def().object().name(), s.def().object().target(),
                    s.records(), s.def().object().exactCount(), dependsOn, after, s.partitions(), s.perPartition(),
                    source.modeled() ? s.reads() + s.sourceOverhead() : -1, target.modeled() ? s.writes() + s.targetOverhead() : -1,
                    s.readStreams(), s.writeCalls(), s.binding(), s.records() * s.alone(), best.start()[k], best.end()[k], shared));
        }
        long sourceRequests = source.modeled() ? sizings.stream().mapToLong(s -> s.reads() + s.sourceOverhead()).sum() : -1;
        long targetRequests = target.modeled() ? sizings.stream().mapToLong(s -> s.writes() + s.targetOverhead()).sum() : -1;
        long records = sizings.stream().filter(s -> !s.def().secondPass()).mapToLong(Sizing::records).sum();

        List<MigrationPlan.QuotaUse> quotas = new ArrayList<>();
        for (SideModel side : List.of(source, target)) {
            if (side.modeled() && side.spec().dailyQuota() > 0) {
                long requests = side == source ? sourceRequests : targetRequests;
                long quota = side.spec().dailyQuota();
                long first = Math.max(0, quota - side.spec().quotaUsed());
                int days = requests <= first ? 1 : 1 + (int) Math.ceil((double) (requests - first) / quota);
                quotas.add(new MigrationPlan.QuotaUse(side.spec().system(), quota, first, requests, days));
            }
        }
        List<MigrationPlan.Checkpoint> checkpoints = new ArrayList<>();
        for (FluidScheduler.Snapshot snap : best.snapshots()) {
            List<String> completed = new ArrayList<>();
            List<MigrationPlan.Progress> progress = new ArrayList<>();
            List<String> notStarted = new ArrayList<>();
            for (int k = 0; k < stages.size(); k++) {
                Sizing s = sizings.get(order.get(k));
                int state = snap.state()[k];
                if (state == FluidScheduler.DONE || state == FluidScheduler.DRAINING) {
                    completed.add(s.def().label());
                } else if (state == FluidScheduler.RUNNING) {
                    progress.add(new MigrationPlan.Progress(s.def().label(), Math.round(snap.done()[k] * s.records()), s.records(),
                            s.partitions()));
                } else {
                    notStarted.add(s.def().label());
                }
            }
            checkpoints.add(new MigrationPlan.Checkpoint(snap.day(), snap.side() == 0 ? source.spec().system() : target.spec().system(),
                    snap.at(), completed, progress, notStarted));
        }
        int days = quotas.isEmpty() ? 1 : best.days();

        int readTasks = source.modeled() ? source.tasks() : 0;
        int writeTasks = target.modeled() ? target.tasks() : 0;
        List<MigrationPlan.Setting> settings = settings(spec, source, target, sizings, order, pageSize, batchSize, flowFileRecords,
                readTasks, writeTasks);
        List<String> notes = new ArrayList<>(graph.notes);
        for (ObjectSpec object : spec.objects()) {
            if (!object.exactCount()) {
                notes.add("The count of " + object.name() + " is the source's estimate; the estimate scales with it.");
            }
        }
        long perNodeTasks = ceilDiv(readTasks, spec.nodes()) + ceilDiv(writeTasks, spec.nodes());
        if (perNodeTasks > NIFI_DEFAULT_THREADS) {
            notes.add("Fetch and upsert need " + perNodeTasks + " threads per node at once: raise NiFi's Maximum Timer Driven "
                    + "Thread Count above its default of " + NIFI_DEFAULT_THREADS + ".");
        }
        if (!source.modeled() || !target.modeled()) {
            SideModel unknown = source.modeled() ? target : source;
            notes.add("Only one side is modeled: the " + (unknown == source ? "source" : "target") + "'s limits are not known here, "
                    + "so the estimate is a lower bound for the whole migration.");
        }
        List<String> assumptions = assumptions(spec, source, target, pageSize, batchSize);
        return new MigrationPlan(spec.source().system(), spec.target().system(), spec.nodes(), spec.threadsPerNode(), pageSize, batchSize,
                flowFileRecords, (int) ceilDiv(readTasks, spec.nodes()), (int) ceilDiv(writeTasks, spec.nodes()), stagePlans, records, sourceRequests, targetRequests, best.makespan(), best.makespan() - best.waiting(),
                lowerBound, lowerBoundReason, binding, days, quotas, checkpoints, settings, notes, assumptions);
    }

    // ---- validation ----

    private static void validate(MigrationSpec spec, List<String> problems) {
        if (spec.source() == null) {
            problems.add("The source's limits are missing.");
        }
        if (spec.target() == null) {
            problems.add("The target's limits are missing.");
        }
        if (spec.nodes() < 1) {
            problems.add("Nodes must be at least 1 (got " + spec.nodes() + ").");
        }
        if (spec.threadsPerNode() < 1) {
            problems.add("Threads per node must be at least 1 (got " + spec.threadsPerNode() + "): with no concurrent task nothing runs.");
        }
        if (spec.objects().isEmpty()) {
            problems.add("There are no objects to migrate.");
        }
        for (ObjectSpec object : spec.objects()) {
            String name = object.name() == null ? "(unnamed)" : object.name();
            if (object.count() == null) {
                problems.add("Object " + name + " has no record count (the source could not count it): give its count or an estimate.");
            } else if (object.count() < 0) {
                problems.add("Object " + name + " has a negative record count (" + object.count() + ").");
            }
            if (object.writeCallsPerBatch() < 1) {
                problems.add("Object " + name + ": write calls per batch must be at least 1 (got " + object.writeCallsPerBatch() + ").");
            }
        }
        if (spec.source() == null || spec.target() == null) {
            return;
        }
        if (!spec.source().modeled() && !spec.target().modeled()) {
            problems.add("Neither the source's nor the target's limits are known: there is nothing to plan against.");
        }
        validateSide("source", spec.source(), spec, problems);
        validateSide("target", spec.target(), spec, problems);
        if (spec.pageSize() != null && spec.source().modeled()) {
            if (spec.pageSize() < 1) {
                problems.add("Page size must be at least 1 (got " + spec.pageSize() + ").");
            } else if (spec.pageSize() > spec.source().maxPageSize() && spec.source().maxPageSize() > 0) {
                problems.add("Page size " + PlanFormat.count(spec.pageSize()) + " is above " + spec.source().system() + "'s maximum of "
                        + PlanFormat.count(spec.source().maxPageSize()) + " records per page: use " + PlanFormat.count(spec.source().maxPageSize())
                        + " or less.");
            }
        }
        if (spec.batchSize() != null && spec.target().modeled()) {
            if (spec.batchSize() < 1) {
                problems.add("Batch size must be at least 1 (got " + spec.batchSize() + ").");
            } else if (spec.batchSize() > spec.target().maxBatchSize() && spec.target().maxBatchSize() > 0) {
                problems.add("Batch size " + PlanFormat.count(spec.batchSize()) + " is above " + spec.target().system() + "'s maximum of "
                        + PlanFormat.count(spec.target().maxBatchSize()) + " records per write call: use " + PlanFormat.count(spec.target().maxBatchSize())
                        + " or less.");
            }
        }
    }

    private static void validateSide(String role, SystemSpec side, MigrationSpec spec, List<String> problems) {
        if (!side.modeled()) {
            return;
        }
        String who = "The " + role + " (" + side.system() + ")";
        if (side.maxPageSize() < 1 && role.equals("source")) {
            problems.add(who + " has a maximum page size of " + side.maxPageSize() + ": a query must return at least one record.");
        }
        if (side.maxBatchSize() < 1 && role.equals("target")) {
            problems.add(who + " has a maximum batch size of " + side.maxBatchSize() + ": a write must carry at least one record.");
        }
        if (side.rateRequests() != null) {
            if (side.rateRequests() < 1) {
                problems.add(who + " has a rate limit of " + side.rateRequests() + " requests per interval, which lets no request "
                        + "through. For a system without a request window give no rate limit at all rather than 0.");
            } else if (side.rateInterval() == null || side.rateInterval().isZero() || side.rateInterval().isNegative()) {
                problems.add(who + " has a rate limit of " + side.rateRequests() + " requests but no positive interval.");
            } else if (side.rateRequests() < spec.nodes()) {
                problems.add(who + " allows " + side.rateRequests() + " requests per " + PlanFormat.duration(side.rateInterval())
                        + ", which cannot be split across " + spec.nodes() + " nodes (each node's service keeps its own budget and "
                        + "would get 0): use fewer nodes, or a longer interval with proportionally more requests.");
            }
        }
        if (side.maxConcurrent() < 0) {
            problems.add(who + " has a negative concurrency cap (" + side.maxConcurrent() + "); use 0 for no cap.");
        } else if (side.maxConcurrent() > 0 && side.maxConcurrent() < spec.nodes()) {
            problems.add(who + " accepts " + side.maxConcurrent() + " concurrent requests, which cannot be split across "
                    + spec.nodes() + " nodes (each node's service would get 0): use fewer nodes.");
        }
        if (side.dailyQuota() < 0) {
            problems.add(who + " has a negative daily quota (" + side.dailyQuota() + "); use 0 for no quota.");
        }
        if (side.quotaUsed() < 0) {
            problems.add(who + " has a negative number of calls already used today (" + side.quotaUsed() + ").");
        } else if (side.dailyQuota() > 0 && side.quotaUsed() > side.dailyQuota()) {
            problems.add(who + " has used " + PlanFormat.count(side.quotaUsed()) + " calls today, more than its daily quota of "
                    + PlanFormat.count(side.dailyQuota()) + ": check both numbers.");
        } else if (side.dailyQuota() == 0 && side.quotaUsed() > 0) {
            problems.add(who + " has " + PlanFormat.count(side.quotaUsed()) + " calls used today but no daily quota: give the quota too, "
                    + "or leave the used calls out.");
        }
        if (side.latency() == null || side.latency().isZero() || side.latency().isNegative()) {
            problems.add(who + " needs a positive call latency (measured, or an assumption such as "
                    + SystemSpec.DEFAULT_LATENCY.toMillis() + " ms).");
        }
    }

    private static void checkQuotaFeasible(List<Sizing> sizings, SideModel source, SideModel target, List<String> problems) {
        for (SideModel side : List.of(source, target)) {
            if (!side.modeled() || side.spec().dailyQuota() <= 0) {
                continue;
            }
            long requests = sizings.stream().mapToLong(s -> side == source ? s.reads() + s.sourceOverhead() : s.writes() + s.targetOverhead()).sum();
            double days = 1 + Math.max(0, requests - (side.spec().dailyQuota() - side.spec().quotaUsed())) / (double) side.spec().dailyQuota();
            if (days > MAX_DAYS) {
                problems.add("The job needs " + PlanFormat.count(requests) + " calls on " + side.spec().system() + ", whose daily quota of "
                        + PlanFormat.count(side.spec().dailyQuota()) + " would take " + PlanFormat.count((long) Math.ceil(days))
                        + " days: raise the quota, use a bulk API with larger pages or batches, or migrate fewer records.");
            }
        }
    }

    // ---- the model ----

    private static SideModel side(SystemSpec spec, MigrationSpec migration) {
        if (!spec.modeled()) {
            return new SideModel(spec, false, Double.POSITIVE_INFINITY, 0, Integer.MAX_VALUE, "", 1, Integer.MAX_VALUE);
        }
        int nodes = migration.nodes();
        double rate = Double.POSITIVE_INFINITY;
        double burst = 0;
        if (spec.rateRequests() != null) {
            // Each node's service keeps its own window, set to an equal share of the system's budget.
            int perNode = spec.rateRequests() / nodes;
            double window = spec.rateInterval().toNanos() / 1e9 * WINDOW_STRETCH + WINDOW_SLACK_SECONDS;
            rate = (double) perNode * nodes / window;
            burst = (double) perNode * nodes;
        }
        int threads = nodes * migration.threadsPerNode();
        int slots = threads;
        String slotsLabel = "NiFi tasks (" + nodes + (nodes == 1 ? " node" : " nodes") + " × " + migration.threadsPerNode() + ")";
        if (spec.maxConcurrent() > 0 && (spec.maxConcurrent() / nodes) * nodes < threads) {
            slots = (spec.maxConcurrent() / nodes) * nodes;
            slotsLabel = "concurrency cap (" + spec.maxConcurrent() + " in flight)";
        }
        double latency = spec.latency().toNanos() / 1e9;
        // Little's law: rate × latency calls are in flight when the window is used up; a quarter more absorbs jitter.
        long needed = Double.isInfinite(rate) ? slots : (long) Math.ceil(rate * latency * HEADROOM - 1e-9);
        int tasks = (int) Math.max(1, Math.min(slots, needed));
        return new SideModel(spec, true, rate, burst, slots, slotsLabel, latency, tasks);
    }

    private static FluidScheduler.Side schedulerSide(SideModel side) {
        if (!side.modeled()) {
            return new FluidScheduler.Side(false, Double.POSITIVE_INFINITY, Double.POSITIVE_INFINITY, 0, Double.POSITIVE_INFINITY,
                    Double.POSITIVE_INFINITY, 0);
        }
        double perDay = side.spec().dailyQuota() > 0 ? side.spec().dailyQuota() : Double.POSITIVE_INFINITY;
        double firstDay = side.spec().dailyQuota() > 0 ? Math.max(0, side.spec().dailyQuota() - side.spec().quotaUsed()) : Double.POSITIVE_INFINITY;
        boolean windowed = !Double.isInfinite(side.rate()) && side.rate() < side.concurrencyRate();
        return new FluidScheduler.Side(true, side.sustained(), side.concurrencyRate(), windowed ? side.burst() : 0, perDay, firstDay,
                side.latency());
    }

    private static String budgetLabel(SideModel side) {
        if (side.rate() <= side.concurrencyRate()) {
            return "request budget " + side.spec().describeRate() + " (" + PlanFormat.rate(side.sustained()) + " req/s sustained by the client)";
        }
        return side.slotsLabel() + " at " + PlanFormat.seconds(side.latency()) + " per call (" + PlanFormat.rate(side.sustained()) + " req/s)";
    }

    /**
     * Sizes a stage: tries every sensible partition count and keeps the one whose stage, run alone, ends first (ties:
     * fewer calls). More partitions mean more page streams and more, smaller FlowFiles for parallel writes, but each
     * costs a partial page and a partial batch.
     */
    private static Sizing size(DependencyGraph.StageDef def, MigrationSpec spec, SideModel source, SideModel target, int pageSize,
                               int batchSize, int flowFileRecords, boolean firstPass) {
        long n = def.object().count();
        int nodes = spec.nodes();
        if (!source.modeled()) {
            return evaluate(def, n, 1, pageSize, batchSize, flowFileRecords, source, target, firstPass);
        }
        long pages = Math.max(1, ceilDiv(n, pageSize));
        // A partition smaller than a page still costs a query, but gives the writes another FlowFile: useful down to one
        // batch per partition when the target is modeled.
        long upper = Math.min(MAX_PARTITIONS, target.modeled() ? Math.max(pages, ceilDiv(n, batchSize)) : pages);
        long lower = Math.min(upper, Math.max(1, ceilDiv(n, (long) PAGES_PER_PARTITION * pageSize)));
        int step = nodes > 1 && pages >= nodes ? nodes : 1;
        if (step > 1) {
            lower = Math.min(upper / step * step, ceilDiv(lower, step) * step);
        }
        Sizing best = null;
        double bestTime = Double.POSITIVE_INFINITY;
        for (long k = Math.max(1, lower), tried = 0; k <= upper && tried < 96; k += step, tried++) {
            Sizing candidate = evaluate(def, n, (int) k, pageSize, batchSize, flowFileRecords, source, target, firstPass);
            double time = candidate.startDelay() + (Double.isInfinite(candidate.alone()) ? 0 : 1 / candidate.alone()) + candidate.drain();
            boolean faster = best == null || time < bestTime * (1 - 0.01);
            boolean asFastAndCheaper = best != null && time <= bestTime * (1 + 0.01)
                    && candidate.reads() + candidate.writes() < best.reads() + best.writes();
            if (faster || asFastAndCheaper) {
                best = candidate;
                bestTime = faster ? time : Math.min(bestTime, time);
            }
        }
        return best;
    }

    /** One stage with {@code partitions} partitions: its calls, its own limits, and how long it takes alone. */
    private static Sizing evaluate(DependencyGraph.StageDef def, long n, int partitions, int pageSize, int batchSize,
                                   int flowFileRecords, SideModel source, SideModel target, boolean firstPass) {
        int calls = def.object().writeCallsPerBatch();
        long base = n / partitions;
        long extra = n % partitions;
        long largest = base + (extra > 0 ? 1 : 0);
        long reads = 0;
        long writes = 0;
        long flowFiles = 0;
        if (source.modeled()) {
            reads = extra * Math.max(1, ceilDiv(base + 1, pageSize)) + (partitions - extra) * Math.max(1, ceilDiv(base, pageSize));
        }
        if (target.modeled()) {
            writes = calls * (extra * ceilDiv(base + 1, batchSize) + (partitions - extra) * ceilDiv(base, batchSize));
            flowFiles = extra * ceilDiv(base + 1, flowFileRecords) + (partitions - extra) * ceilDiv(base, flowFileRecords);
        }
        long firstFlowFile = Math.min(flowFileRecords, largest);
        long lastFlowFile = largest % flowFileRecords == 0 ? firstFlowFile : largest % flowFileRecords;
        long flowFileCalls = target.modeled() ? calls * ceilDiv(firstFlowFile, batchSize) : 0;
        long lastFlowFileCalls = target.modeled() ? calls * ceilDiv(lastFlowFile, batchSize) : 0;
        long firstFlowFilePages = source.modeled() ? Math.max(1, ceilDiv(firstFlowFile, pageSize)) : 0;

        // Chains: a partition's pages are read one after another, and a FlowFile's batches are written one after
        // another, each call taking its full latency; the processors' tasks take partitions and FlowFiles in turn.
        double readChain = 0;
        double writeChain = 0;
        if (source.modeled() && reads > 0) {
            readChain = source.latency() * Math.max(Math.max(1, ceilDiv(largest, pageSize)), ceilDiv(reads, source.tasks()));
        }
        if (target.modeled() && writes > 0) {
            writeChain = target.latency() * ceilDiv(flowFiles, target.tasks()) * flowFileCalls;
        }
        double sourceRate = source.modeled() && reads > 0 ? reads / source.sustained() : 0;
        double targetRate = target.modeled() && writes > 0 ? writes / target.sustained() : 0;
        double transfer = Math.max(Math.max(readChain, writeChain), Math.max(sourceRate, targetRate));
        double chain = Math.max(readChain, writeChain);
        double cap = chain > 0 ? 1 / chain : Double.POSITIVE_INFINITY;
        double alone = transfer > 0 ? 1 / transfer : Double.POSITIVE_INFINITY;

        // Fill and drain around the transfer: the first FlowFile must be read before it is written; after a read-bound
        // transfer the last FlowFile still has to be written; a rate-bound call returns a latency after its admission.
        double fill = 0;
        double drain = 0;
        String binding;
        double sourceLatency = source.modeled() ? source.latency() : 0;
        double targetLatency = target.modeled() ? target.latency() : 0;
        boolean targetWindow = target.modeled() && target.rate() <= target.concurrencyRate();
        boolean sourceWindow = source.modeled() && source.rate() <= source.concurrencyRate();
        // The limit that sets the transfer time; on a tie the request window names it first, then the chains.
        int kind = transfer == 0 ? -1
                : targetWindow && targetRate >= transfer * (1 - 1e-9) ? 0
                : sourceWindow && sourceRate >= transfer * (1 - 1e-9) ? 1
                : writeChain >= transfer * (1 - 1e-9) ? 2
                : readChain >= transfer * (1 - 1e-9) ? 3
                : targetRate >= transfer * (1 - 1e-9) ? 4 : 5;
        switch (kind) {
            case -1 -> binding = "nothing to transfer";
            case 0 -> {
                // Calls are admitted at the window's pace and each returns a latency later.
                fill = firstFlowFilePages * sourceLatency;
                drain = targetLatency;
                binding = "target rate limit (" + target.spec().system() + " " + target.spec().describeRate() + ")";
            }
            case 1 -> {
                drain = sourceLatency + lastFlowFileCalls * targetLatency;
                binding = "source rate limit (" + source.spec().system() + " " + source.spec().describeRate() + ")";
            }
            case 2 -> {
                fill = firstFlowFilePages * sourceLatency;
                binding = "write chains: " + PlanFormat.count(flowFiles) + " FlowFile(s) of up to " + PlanFormat.count(firstFlowFile)
                        + " records, each " + flowFileCalls + " calls in a row at " + PlanFormat.seconds(targetLatency) + " on "
                        + target.tasksLabel();
            }
            case 3 -> {
                drain = lastFlowFileCalls * targetLatency;
                binding = "read chains: " + partitions + " partition(s) of up to " + Math.max(1, ceilDiv(largest, pageSize))
                        + " page(s) read in a row at " + PlanFormat.seconds(sourceLatency) + " on " + source.tasksLabel();
            }
            case 4 -> {
                // Calls in flight bound the rate; each call's latency is already counted.
                fill = firstFlowFilePages * sourceLatency;
                binding = "target " + target.tasksLabel() + " at " + PlanFormat.seconds(targetLatency) + " per call";
            }
            default -> {
                drain = lastFlowFileCalls * targetLatency;
                binding = "source " + source.tasksLabel() + " at " + PlanFormat.seconds(sourceLatency) + " per call";
            }
        }
        long sourceOverhead = source.modeled() ? (firstPass ? 1 : 0) + (partitions > 1 ? 2 : 0) : 0;
        // Every write that starts before the target's describe is cached describes the object itself (the services'
        // describe cache does not coalesce concurrent misses), so the first wave of writers costs one describe each.
        long targetOverhead = target.modeled() && firstPass ? Math.max(1, Math.min(flowFiles, target.tasks())) : 0;
        double startDelay = sourceLatency * sourceOverhead + targetLatency * (targetOverhead > 0 ? 1 : 0) + fill;
        if (n > 0 && startDelay + drain > transfer) {
            binding = "call latency: too small to reach the limits (" + PlanFormat.seconds(startDelay + drain) + " of start-up and drain, "
                    + PlanFormat.seconds(transfer) + " of transfer); otherwise " + binding;
        }
        int readStreams = source.modeled() && reads > 0 ? Math.min(partitions, source.tasks()) : 0;
        int writeStreams = target.modeled() && writes > 0 ? (int) Math.min(flowFiles, target.tasks()) : 0;
        return new Sizing(def, n, partitions, ceilDiv(n, partitions), reads, writes, sourceOverhead, targetOverhead, cap, alone,
                startDelay, drain, binding, readStreams, writeStreams);
    }

    /** Longest path (alone durations) from each stage to the end, the stage included. */
    private static double[] tails(List<FluidScheduler.Stage> stages) {
        return tails(stages, stages.stream().mapToDouble(MigrationPlanner::duration).toArray());
    }

    /** Longest path from each stage to the end, the stage included, for these stage durations (stages in topological order). */
    private static double[] tails(List<FluidScheduler.Stage> stages, double[] durations) {
        int n = stages.size();
        double[] tail = new double[n];
        for (int k = n - 1; k >= 0; k--) {
            tail[k] = Math.max(tail[k], durations[k]);
            for (int p : stages.get(k).parents()) {
                tail[p] = Math.max(tail[p], durations[p] + tail[k]);
            }
        }
        return tail;
    }

    private static double duration(FluidScheduler.Stage s) {
        return s.startDelay() + (Double.isInfinite(s.alone()) ? 0 : 1 / s.alone()) + s.drain();
    }

    private static List<String> criticalChain(List<FluidScheduler.Stage> stages, double[] tail) {
        List<String> chain = new ArrayList<>();
        int current = -1;
        double best = -1;
        for (int k = 0; k < stages.size(); k++) {
            if (stages.get(k).parents().length == 0 && tail[k] > best) {
                best = tail[k];
                current = k;
            }
        }
        while (current >= 0) {
            chain.add(stages.get(current).label());
            int next = -1;
            double bestChild = -1;
            for (int k = 0; k < stages.size(); k++) {
                for (int p : stages.get(k).parents()) {
                    if (p == current && tail[k] > bestChild) {
                        bestChild = tail[k];
                        next = k;
                    }
                }
            }
            current = next;
        }
        return chain;
    }

    private static double[] ones(int n) {
        double[] w = new double[n];
        java.util.Arrays.fill(w, 1);
        return w;
    }

    private static double[] aloneDurations(List<FluidScheduler.Stage> stages) {
        return stages.stream().mapToDouble(s -> Math.max(1e-6, duration(s))).toArray();
    }

    // ---- settings and assumptions ----

    /**
     * Records per FlowFile: the smallest multiple of both page and batch size (so no page is read twice and no batch is
     * partial) that holds at least {@value #FLOWFILE_MIN_RECORDS} records. Small FlowFiles give UpsertCrmRecords more
     * FlowFiles to write in parallel; NiFi handles FlowFiles of a few thousand records without noticeable overhead.
     */
    static int flowFileRecords(int pageSize, int batchSize) {
        int page = Math.max(1, pageSize);
        int batch = Math.max(1, batchSize);
        long lcm = (long) page / gcd(page, batch) * batch;
        if (lcm > 100_000) {
            lcm = page;
        }
        return (int) (Math.max(1, ceilDiv(FLOWFILE_MIN_RECORDS, lcm)) * lcm);
    }

    private static long gcd(long a, long b) {
        return b == 0 ? a : gcd(b, a % b);
    }

    private static List<MigrationPlan.Setting> settings(MigrationSpec spec, SideModel source, SideModel target, List<Sizing> sizings,
                                                        List<Integer> order, int pageSize, int batchSize, int flowFileRecords,
                                                        int readTasks, int writeTasks) {
        List<MigrationPlan.Setting> settings = new ArrayList<>();
        int nodes = spec.nodes();
        if (source.modeled()) {
            List<String> partitions = new ArrayList<>();
            for (int index : order) {
                Sizing s = sizings.get(index);
                if (!s.def().secondPass()) {
                    partitions.add(s.def().label() + " " + s.partitions());
                }
            }
            settings.add(new MigrationPlan.Setting("GenerateCrmPartitions", "Partitions", String.join(", ", partitions),
                    "per object, the count that finishes it soonest: page streams for the reads, FlowFiles for parallel writes; at most "
                            + PAGES_PER_PARTITION + " pages each" + (nodes > 1 ? ", a multiple of the " + nodes + " nodes" : "")));
            settings.add(new MigrationPlan.Setting("FetchCrmPartition", "Page Size", Integer.toString(pageSize), "the source's largest page"));
            settings.add(new MigrationPlan.Setting("FetchCrmPartition", "Max Records Per FlowFile", Integer.toString(flowFileRecords),
                    "a multiple of page and batch size, small enough that UpsertCrmRecords has FlowFiles to write in parallel"));
            settings.add(new MigrationPlan.Setting("FetchCrmPartition", "Concurrent Tasks", ceilDiv(readTasks, nodes) + " per node",
                    readTasks + " pages in flight keep the source's window busy (rate × latency, with "
                            + Math.round((HEADROOM - 1) * 100) + "% headroom)"));
        }
        if (target.modeled()) {
            settings.add(new MigrationPlan.Setting("UpsertCrmRecords", "Batch Size", Integer.toString(batchSize), "the target's largest batch"));
            settings.add(new MigrationPlan.Setting("UpsertCrmRecords", "Concurrent Tasks", ceilDiv(writeTasks, nodes) + " per node",
                    writeTasks + " batches in flight keep the target's window busy (rate × latency, with "
                            + Math.round((HEADROOM - 1) * 100) + "% headroom)"));
        }
        if (nodes > 1) {
            for (SideModel side : List.of(source, target)) {
                if (side.modeled() && side.spec().rateRequests() != null) {
                    settings.add(new MigrationPlan.Setting(side.spec().system() + " connection service", "Rate Limit Requests",
                            (side.spec().rateRequests() / nodes) + " per " + PlanFormat.duration(side.spec().rateInterval()),
                            "each node keeps its own budget: the system's " + side.spec().rateRequests() + " split over " + nodes + " nodes"));
                }
                if (side.modeled() && side.spec().maxConcurrent() > 0) {
                    settings.add(new MigrationPlan.Setting(side.spec().system() + " connection service", "Max Concurrent Requests",
                            Integer.toString(side.spec().maxConcurrent() / nodes), "the system's cap of " + side.spec().maxConcurrent()
                            + " split over " + nodes + " nodes"));
                }
            }
        }
        return settings;
    }

    private static List<String> assumptions(MigrationSpec spec, SideModel source, SideModel target, int pageSize, int batchSize) {
        List<String> a = new ArrayList<>();
        for (SideModel side : List.of(source, target)) {
            if (!side.modeled()) {
                continue;
            }
            String role = side == source ? "source" : "target";
            StringBuilder sb = new StringBuilder();
            sb.append(String.format(Locale.ROOT, "%s (%s): one call takes %s (%s of %s records)", side.spec().system(), role,
                    PlanFormat.seconds(side.latency()), side == source ? "a page" : "a batch",
                    PlanFormat.count(side == source ? pageSize : batchSize)));
            if (side.spec().rateRequests() != null) {
                sb.append(String.format(Locale.ROOT, "; its window of %s sustains %s req/s, because the client keeps each window "
                                + "with %.0f%% + %.0f ms of slack, and its first window's %s calls go out at once",
                        side.spec().describeRate(), PlanFormat.rate(side.rate()), (WINDOW_STRETCH - 1) * 100, WINDOW_SLACK_SECONDS * 1000,
                        PlanFormat.count((long) side.burst())));
            } else {
                sb.append("; no request window");
            }
            sb.append("; the plan runs ").append(side.tasks()).append(side.tasks() == 1 ? " task" : " tasks").append(" on it (at most ")
                    .append(side.slots()).append(" allowed: ").append(side.slotsLabel()).append(")");
            a.add(sb.append('.').toString());
        }
        a.add("An object's reads and writes overlap (records flow on while pages are read); an object starts when every object it "
                + "references is completely written; objects whose parents are done run at the same time and share the budgets.");
        a.add("Partitions are about equal (id ranges, PK chunking); each partition's last page and last batch may be partial.");
        a.add("A partition's pages are read one after another and a FlowFile's batches are written one after another (as "
                + "FetchCrmPartition and UpsertCrmRecords do), so a stage is never faster than its longest chain of calls; each stage "
                + "starts with its describes" + (source.modeled() ? " and partition-bound queries and waits for its first FlowFile" : "")
                + ", and ends with its last write.");
        a.add("No retries: every 429, error or timeout adds its latency and a call. NiFi's own record processing (tens of "
                + "thousands of records/s per node) is far faster than the APIs and is not modeled.");
        if (spec.nodes() > 1) {
            a.add(spec.nodes() + " nodes share each system's limits: each node's connection service gets an equal share.");
        }
        if ((source.modeled() && source.spec().dailyQuota() > 0) || (target.modeled() && target.spec().dailyQuota() > 0)) {
            a.add("A daily quota counts every call and resets 24 h after the start (Salesforce counts a rolling 24 h; HubSpot "
                    + "resets at midnight in the account's time zone); partitions keep their cursors, so the job resumes where it stopped.");
        }
        return a;
    }

    static long ceilDiv(long a, long b) {
        return b <= 0 ? 0 : (a + b - 1) / b;
    }
}
