package io.nificrm.simulator.query;

import io.nificrm.simulator.store.FieldRole;
import io.nificrm.simulator.store.SimField;
import io.nificrm.simulator.store.SimRecord;
import io.nificrm.simulator.store.SimSchema;
import io.nificrm.simulator.store.SimType;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.time.LocalDate;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ODataFilterParserTest {
    private static final String REF = "00000001-0000-4000-8000-00000000002a";
    private static final SimSchema SCHEMA = new SimSchema("contact", "Contact", List.of(
            SimField.system("contactid", "Id", SimType.ID, FieldRole.ID),
            SimField.system("modifiedon", "Modified", SimType.DATETIME, FieldRole.MODIFIED),
            SimField.data("lastname", "Last", SimType.STRING),
            SimField.data("n", "N", SimType.INT),
            SimField.data("revenue", "Revenue", SimType.CURRENCY),
            SimField.data("birthdate", "Birthday", SimType.DATE),
            SimField.data("flag", "Flag", SimType.BOOLEAN),
            SimField.data("parentcustomerid", "Parent", SimType.REFERENCE).referencing("account")));

    private static SimRecord record(String lastName, long n, String modified, String parent) {
        Map<String, Object> fields = new HashMap<>();
        fields.put("lastname", lastName);
        fields.put("n", n);
        fields.put("revenue", n * 1.5);
        fields.put("birthdate", LocalDate.parse("1990-05-17"));
        fields.put("flag", n % 2 == 0);
        fields.put("parentcustomerid", parent);
        return new SimRecord("00000002-0000-4000-8000-000000000001", fields, Instant.parse(modified), Instant.parse(modified), false, null);
    }

    private static final SimRecord OBRIEN = record("O'Brien", 4, "2024-03-01T10:00:00Z", REF);
    private static final SimRecord SMITH = record("Smith", 7, "2023-12-31T23:59:59Z", null);

    /** Maps {@code _x_value} to {@code x} the way the Dataverse persona does. */
    private static String resolve(String wire) {
        if (wire.startsWith("_") && wire.endsWith("_value")) {
            return wire.substring(1, wire.length() - 6);
        }
        if (SCHEMA.field(wire).isEmpty()) {
            throw new QueryException("0x0", "Could not find a property named '" + wire + "'");
        }
        return wire;
    }

    private static boolean matches(String filter, SimRecord record) {
        return ODataFilterParser.parse(filter, ODataFilterParserTest::resolve).test(record, SCHEMA);
    }

    @Test
    void comparesTextCaseInsensitivelyAndUnescapesDoubledQuotes() {
        assertTrue(matches("lastname eq 'smith'", SMITH));
        assertTrue(matches("lastname eq 'O''Brien'", OBRIEN));
        assertFalse(matches("lastname eq 'O''Brien'", SMITH));
        assertTrue(matches("lastname ne 'O''Brien'", SMITH));
        assertEquals(new Expr.Compare("lastname", Expr.Op.EQ, "it's ''quoted''"),
                ODataFilterParser.parse("lastname eq 'it''s ''''quoted'''''"));
    }

    @Test
    void unescapedQuoteIsASyntaxError() {
        QueryException e = assertThrows(QueryException.class, () -> ODataFilterParser.parse("lastname eq 'O'Brien'"));
        assertEquals(ODataFilterParser.SYNTAX_ERROR, e.code());
        assertTrue(e.getMessage().startsWith("Syntax error at position"), e.getMessage());
        for (String hostile : List.of("lastname eq 'x' or '1'='1'", "lastname eq 'unterminated", "lastname eq 'a'; drop",
                "lastname eq", "(lastname eq 'a'", "lastname eq 'a')", "lastname eq 'a' and", "1 eq 1", "lastname = 'a'", "")) {
            QueryException q = assertThrows(QueryException.class, () -> ODataFilterParser.parse(hostile), hostile);
            assertEquals(ODataFilterParser.SYNTAX_ERROR, q.code(), hostile);
        }
    }

    @Test
    void numbersDatesGuidsBooleansAndNull() {
        assertTrue(matches("n gt 5 and n le 7", SMITH));
        assertFalse(matches("n gt 5", OBRIEN));
        assertTrue(matches("revenue ge 10.5", SMITH));
        assertTrue(matches("n eq -3 or n ge 4", OBRIEN));
        assertTrue(matches("modifiedon gt 2024-01-01T00:00:00Z", OBRIEN));
        assertFalse(matches("modifiedon gt 2024-01-01T00:00:00Z", SMITH));
        assertTrue(matches("modifiedon lt 2024-01-01T01:00:00+01:00", SMITH));
        assertTrue(matches("modifiedon ge 2024-03-01T10:00:00.000Z", OBRIEN));
        assertTrue(matches("birthdate eq 1990-05-17", OBRIEN));
        assertTrue(matches("_parentcustomerid_value eq " + REF.toUpperCase(), OBRIEN));
        assertTrue(matches("_parentcustomerid_value eq null", SMITH));
        assertTrue(matches("_parentcustomerid_value ne null", OBRIEN));
        assertTrue(matches("flag eq true", OBRIEN));
        assertTrue(matches("flag eq false", SMITH));
    }

    @Test
    void logicPrecedenceAndParentheses() {
        // and binds tighter than or
        assertTrue(matches("lastname eq 'nobody' and n eq 0 or n eq 7", SMITH));
        assertFalse(matches("lastname eq 'nobody' and (n eq 0 or n eq 7)", SMITH));
        assertTrue(matches("not (lastname eq 'nobody')", SMITH));
        assertTrue(matches("not lastname eq 'nobody' and n eq 7", SMITH));
        assertInstanceOf(Expr.Or.class, ODataFilterParser.parse("a eq 1 or b eq 2 and c eq 3"));
        assertTrue(matches("((n eq 7))", SMITH));
    }

    @Test
    void stringFunctions() {
        assertTrue(matches("contains(lastname,'bri')", OBRIEN));
        assertTrue(matches("startswith(lastname, 'o''b')", OBRIEN));
        assertTrue(matches("endswith(lastname,'ith')", SMITH));
        assertFalse(matches("contains(lastname,'zzz')", SMITH));
        assertTrue(matches("not contains(lastname,'zzz') and startswith(lastname,'S')", SMITH));
        QueryException e = assertThrows(QueryException.class, () -> ODataFilterParser.parse("substringof('a',lastname)"));
        assertEquals(ODataFilterParser.SYNTAX_ERROR, e.code());
    }

    @Test
    void propertyNamesGoThroughTheResolver() {
        assertEquals(new Expr.Compare("parentcustomerid", Expr.Op.EQ, REF),
                ODataFilterParser.parse("_parentcustomerid_value eq " + REF, ODataFilterParserTest::resolve));
        QueryException e = assertThrows(QueryException.class,
                () -> ODataFilterParser.parse("nosuchcolumn eq 1", ODataFilterParserTest::resolve));
        assertEquals("0x0", e.code());
    }
}
