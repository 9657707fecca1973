package io.nificrm.processors.dedup;

import java.util.Arrays;

/**
 * Disjoint sets over 0..n-1 with union by size and path halving: transitive clustering of matched pairs in
 * near-constant time per operation. Grows on demand (external members are added after the batch's records).
 */
public final class UnionFind {
    private int[] parent;
    private int[] size;
    private int count;

    public UnionFind(int capacity) {
        parent = new int[Math.max(4, capacity)];
        size = new int[parent.length];
    }

    /** Adds a singleton and returns its index. */
    public int add() {
        if (count == parent.length) {
            int grown = parent.length + (parent.length >> 1) + 16;
            parent = Arrays.copyOf(parent, grown);
            size = Arrays.copyOf(size, grown);
        }
        parent[count] = count;
        size[count] = 1;
        return count++;
    }

    public int size() {
        return count;
    }

    public int find(int x) {
        while (parent[x] != x) {
            parent[x] = parent[parent[x]];
            x = parent[x];
        }
        return x;
    }

    /** Merges the sets of a and b; returns false when they were already one. */
    public boolean union(int a, int b) {
        int ra = find(a);
        int rb = find(b);
        if (ra == rb) {
            return false;
        }
        if (size[ra] < size[rb]) {
            int t = ra;
            ra = rb;
            rb = t;
        }
        parent[rb] = ra;
        size[ra] += size[rb];
        return true;
    }

    public boolean connected(int a, int b) {
        return find(a) == find(b);
    }

    /** Number of elements in x's set. */
    public int setSize(int x) {
        return size[find(x)];
    }
}
