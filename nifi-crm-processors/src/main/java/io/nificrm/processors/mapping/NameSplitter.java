package io.nificrm.processors.mapping;

/**
 * Splits a full name into first and last name: "Ada Lovelace" → Ada / Lovelace, "Lovelace, Ada" → Ada / Lovelace,
 * "Mary Ann van der Berg" → Mary Ann / van der Berg (lower-case particles belong to the last name).
 */
final class NameSplitter {
    private static final java.util.regex.Pattern BLANKS = java.util.regex.Pattern.compile("\\s+");

    private NameSplitter() {
    }

    static String part(String fullName, boolean first) {
        String name = BLANKS.matcher(fullName.trim()).replaceAll(" ");
        if (name.isEmpty()) {
            return null;
        }
        int comma = name.indexOf(',');
        if (comma >= 0) {
            String last = name.substring(0, comma).trim();
            String given = name.substring(comma + 1).trim();
            return first ? emptyToNull(given) : emptyToNull(last);
        }
        String[] words = name.split(" ");
        if (words.length == 1) {
            return first ? null : words[0];
        }
        int lastStart = words.length - 1;
        while (lastStart > 1 && isParticle(words[lastStart - 1])) {
            lastStart--;
        }
        StringBuilder given = new StringBuilder();
        StringBuilder family = new StringBuilder();
        for (int i = 0; i < words.length; i++) {
            StringBuilder target = i < lastStart ? given : family;
            if (!target.isEmpty()) {
                target.append(' ');
            }
            target.append(words[i]);
        }
        return first ? given.toString() : family.toString();
    }

    private static boolean isParticle(String word) {
        return switch (word) {
            case "van", "von", "der", "den", "de", "del", "della", "di", "da", "la", "le", "du", "dos", "das", "bin", "al" -> true;
            default -> false;
        };
    }

    private static String emptyToNull(String s) {
        return s.isEmpty() ? null : s;
    }
}
