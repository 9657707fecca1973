package io.nificrm.simulator.query;

import io.nificrm.simulator.store.SimField;
import io.nificrm.simulator.store.SimRecord;
import io.nificrm.simulator.store.SimSchema;
import io.nificrm.simulator.store.ValueCoercion;

import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * A filter condition over records, parsed from SOQL {@code WHERE} or an OData {@code $filter}. Text equality is
 * case-insensitive (as in SOQL and Dataverse); ordering comparisons on text are by code point (ids sort as sent).
 */
public sealed interface Expr {

    boolean test(SimRecord record, SimSchema schema);

    /** Always true: no filter. */
    Expr TRUE = new And(List.of());

    enum Op { EQ, NE, LT, LE, GT, GE }

    record And(List<Expr> parts) implements Expr {
        public boolean test(SimRecord record, SimSchema schema) {
            return parts.stream().allMatch(p -> p.test(record, schema));
        }
    }

    record Or(List<Expr> parts) implements Expr {
        public boolean test(SimRecord record, SimSchema schema) {
            return parts.stream().anyMatch(p -> p.test(record, schema));
        }
    }

    record Not(Expr inner) implements Expr {
        public boolean test(SimRecord record, SimSchema schema) {
            return !inner.test(record, schema);
        }
    }

    record Compare(String field, Op op, Object literal) implements Expr {
        public boolean test(SimRecord record, SimSchema schema) {
            SimField f = fieldOf(schema, field);
            Object value = record.value(f);
            Object target = ValueCoercion.coerce(f.type(), literal);
            if (value == null || target == null) {
                boolean bothNull = value == null && target == null;
                return op == Op.EQ ? bothNull : op == Op.NE && !bothNull;
            }
            int cmp = compare(value, target);
            return switch (op) {
                case EQ -> cmp == 0;
                case NE -> cmp != 0;
                case LT -> cmp < 0;
                case LE -> cmp <= 0;
                case GT -> cmp > 0;
                case GE -> cmp >= 0;
            };
        }

        private int compare(Object value, Object target) {
            if ((op == Op.EQ || op == Op.NE) && value instanceof String a && target instanceof String b) {
                return a.compareToIgnoreCase(b) == 0 ? 0 : 1;
            }
            return Values.compare(value, target);
        }
    }

    record In(String field, List<Object> literals, boolean negated) implements Expr {
        public boolean test(SimRecord record, SimSchema schema) {
            SimField f = fieldOf(schema, field);
            Object value = record.value(f);
            boolean found = literals.stream().anyMatch(l -> {
                Object target = ValueCoercion.coerce(f.type(), l);
                if (value == null || target == null) {
                    return value == target;
                }
                return value instanceof String a && target instanceof String b ? a.equalsIgnoreCase(b) : Values.compare(value, target) == 0;
            });
            return negated != found;
        }
    }

    /** SOQL LIKE ({@code %} and {@code _} wildcards) and OData contains/startswith, case-insensitive. */
    record Like(String field, String pattern) implements Expr {
        public boolean test(SimRecord record, SimSchema schema) {
            Object value = record.value(fieldOf(schema, field));
            if (value == null) {
                return false;
            }
            StringBuilder regex = new StringBuilder();
            for (char c : pattern.toCharArray()) {
                regex.append(switch (c) {
                    case '%' -> ".*";
                    case '_' -> ".";
                    default -> Pattern.quote(String.valueOf(c));
                });
            }
            return Pattern.compile(regex.toString(), Pattern.CASE_INSENSITIVE | Pattern.DOTALL)
                    .matcher(value.toString().toLowerCase(Locale.ROOT)).matches();
        }
    }

    private static SimField fieldOf(SimSchema schema, String name) {
        return schema.field(name).orElseThrow(() -> new QueryException("INVALID_FIELD", "No such field: " + name));
    }
}
