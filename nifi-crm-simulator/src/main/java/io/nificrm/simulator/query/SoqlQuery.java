package io.nificrm.simulator.query;

import java.util.List;

/**
 * A parsed SOQL statement of the supported subset:
 * {@code SELECT f1, f2 | COUNT() FROM Object [WHERE cond] [ORDER BY f [ASC|DESC] [NULLS FIRST|LAST], ...] [LIMIT n]}.
 *
 * @param fields  selected field names (empty for COUNT())
 * @param count   true for {@code SELECT COUNT()}
 * @param object  the object
 * @param where   the filter ({@link Expr#TRUE} when none)
 * @param orderBy sort keys (empty: id order)
 * @param limit   row limit, or null
 */
public record SoqlQuery(List<String> fields, boolean count, String object, Expr where, List<OrderBy> orderBy,
                        Integer limit) {
}
