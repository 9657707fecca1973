package io.nificrm.bench;

import java.util.ArrayList;
import java.util.List;

/** A plain-text table for benchmark output (also valid Markdown). */
public final class Table {
    private final List<String> header;
    private final List<List<String>> rows = new ArrayList<>();

    public Table(String... header) {
        this.header = List.of(header);
    }

    public Table row(Object... cells) {
        List<String> row = new ArrayList<>();
        for (Object cell : cells) {
            row.add(cell instanceof Double d ? String.format("%,.2f", d) : cell instanceof Long || cell instanceof Integer
                    ? String.format("%,d", ((Number) cell).longValue()) : String.valueOf(cell));
        }
        rows.add(row);
        return this;
    }

    public void print() {
        int[] widths = new int[header.size()];
        for (int i = 0; i < widths.length; i++) {
            widths[i] = header.get(i).length();
            for (List<String> row : rows) {
                widths[i] = Math.max(widths[i], row.get(i).length());
            }
        }
        System.out.println(line(header, widths));
        StringBuilder rule = new StringBuilder("|");
        for (int w : widths) {
            rule.append("-".repeat(w + 2)).append("|");
        }
        System.out.println(rule);
        rows.forEach(r -> System.out.println(line(r, widths)));
    }

    private static String line(List<String> cells, int[] widths) {
        StringBuilder sb = new StringBuilder("|");
        for (int i = 0; i < cells.size(); i++) {
            sb.append(' ').append(String.format("%-" + widths[i] + "s", cells.get(i))).append(" |");
        }
        return sb.toString();
    }
}
