package io.nificrm.processors.dedup;

import java.util.Arrays;
import java.util.function.IntFunction;

/**
 * The blocking table: (key hash, member) entries in two primitive arrays, radix-sorted by hash so each block is a
 * contiguous run. A block of up to {@code maxBlock} members is compared all-pairs; a larger one (a blank-ish or
 * very common value: a shared switchboard number, a frequent surname) is compared as a sorted neighbourhood: its
 * members are sorted by name and each is compared with the next {@code maxBlock - 1}. Either way a block of n
 * members costs at most n·maxBlock comparisons, so total work stays linear in the number of records.
 */
public final class Blocks {
    private long[] hashes = new long[1024];
    private int[] members = new int[1024];
    private int size;
    private boolean sorted;

    /** Pairs compared, blocks compared as a neighbourhood, and the largest block seen. */
    public record Stats(long pairs, long oversizedBlocks, int largestBlock) {
    }

    /** Receives each candidate pair once per block it shares. */
    @FunctionalInterface
    public interface PairVisitor {
        void visit(int a, int b);
    }

    public void add(long hash, int member) {
        if (size == hashes.length) {
            int grown = size + (size >> 1);
            hashes = Arrays.copyOf(hashes, grown);
            members = Arrays.copyOf(members, grown);
        }
        hashes[size] = hash;
        members[size] = member;
        size++;
        sorted = false;
    }

    public int size() {
        return size;
    }

    /** LSD radix sort by hash, 16 bits a pass: O(n), no boxing. */
    void sort() {
        if (sorted) {
            return;
        }
        long[] h2 = new long[size];
        int[] m2 = new int[size];
        int[] counts = new int[1 << 16];
        long[] srcH = hashes;
        int[] srcM = members;
        for (int shift = 0; shift < 64; shift += 16) {
            Arrays.fill(counts, 0);
            for (int i = 0; i < size; i++) {
                counts[digit(srcH[i], shift)]++;
            }
            int sum = 0;
            for (int d = 0; d < counts.length; d++) {
                int c = counts[d];
                counts[d] = sum;
                sum += c;
            }
            for (int i = 0; i < size; i++) {
                int pos = counts[digit(srcH[i], shift)]++;
                h2[pos] = srcH[i];
                m2[pos] = srcM[i];
            }
            long[] th = srcH;
            srcH = h2;
            h2 = th;
            int[] tm = srcM;
            srcM = m2;
            m2 = tm;
        }
        // Four passes: the sorted data is back in the arrays it started in (trimmed copies are fine too).
        hashes = srcH;
        members = srcM;
        sorted = true;
    }

    private static int digit(long hash, int shift) {
        // Flip the sign bit on the top digit so the order is the signed order (any consistent order would do).
        int d = (int) (hash >>> shift) & 0xFFFF;
        return shift == 48 ? d ^ 0x8000 : d;
    }

    /**
     * Visits candidate pairs block by block.
     *
     * @param maxBlock   largest block compared all-pairs (≥ 2)
     * @param sortKey    the neighbourhood sort key of a member, for oversized blocks
     * @param isNew      members of the current batch; pairs of two old members (both from the index) are skipped
     */
    public Stats forEachPair(int maxBlock, IntFunction<String> sortKey, java.util.function.IntPredicate isNew, PairVisitor visitor) {
        sort();
        long pairs = 0;
        long oversized = 0;
        int largest = 0;
        int start = 0;
        while (start < size) {
            int end = start + 1;
            while (end < size && hashes[end] == hashes[start]) {
                end++;
            }
            int n = end - start;
            largest = Math.max(largest, n);
            if (n >= 2) {
                if (n <= maxBlock) {
                    for (int i = start; i < end; i++) {
                        int a = members[i];
                        boolean aNew = isNew.test(a);
                        for (int j = i + 1; j < end; j++) {
                            int b = members[j];
                            if (a != b && (aNew || isNew.test(b))) {
                                visitor.visit(a, b);
                                pairs++;
                            }
                        }
                    }
                } else {
                    oversized++;
                    Integer[] order = new Integer[n];
                    String[] keys = new String[n];
                    for (int i = 0; i < n; i++) {
                        order[i] = i;
                        keys[i] = sortKey.apply(members[start + i]);
                    }
                    Arrays.sort(order, (x, y) -> keys[x].compareTo(keys[y]));
                    for (int i = 0; i < n; i++) {
                        int a = members[start + order[i]];
                        boolean aNew = isNew.test(a);
                        for (int j = i + 1; j < n && j < i + maxBlock; j++) {
                            int b = members[start + order[j]];
                            if (a != b && (aNew || isNew.test(b))) {
                                visitor.visit(a, b);
                                pairs++;
                            }
                        }
                    }
                }
            }
            start = end;
        }
        return new Stats(pairs, oversized, largest);
    }

    /** Hashes of the distinct keys, in sorted order. */
    public long[] distinctHashes() {
        sort();
        long[] out = new long[size];
        int n = 0;
        for (int i = 0; i < size; i++) {
            if (n == 0 || out[n - 1] != hashes[i]) {
                out[n++] = hashes[i];
            }
        }
        return Arrays.copyOf(out, n);
    }
}
