package io.nificrm.services.dynamics;

import io.nificrm.api.CrmFieldType;
import org.junit.jupiter.api.Test;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Literals and URL pieces never let a value change the shape of a query or a URL. */
class DynamicsODataLiteralTest {
    private static final String HOSTILE = "x' or 1 eq 1 or name eq '";

    @Test
    void textIsQuotedWithQuotesDoubled() {
        assertEquals("'O''Brien'", ODataLiteral.string("O'Brien"));
        assertEquals("'x'' or 1 eq 1 or name eq '''", ODataLiteral.string(HOSTILE));
        assertEquals("''''", ODataLiteral.string("'"));
        assertEquals("''", ODataLiteral.string(""));
        // The escaped literal is one token: after removing the outer quotes no lone quote remains.
        String inner = ODataLiteral.string(HOSTILE).substring(1, ODataLiteral.string(HOSTILE).length() - 1);
        assertFalse(inner.replace("''", "").contains("'"));
        assertEquals("'" + HOSTILE.replace("'", "''") + "'", ODataLiteral.of(CrmFieldType.STRING, HOSTILE));
        assertEquals("'a''b'", ODataLiteral.of(CrmFieldType.EMAIL, "a'b"));
    }

    @Test
    void typedValuesAreParsedAndReprinted() {
        assertEquals("5f0c1a2b-0000-4000-8000-00000000000a", ODataLiteral.of(CrmFieldType.ID, " {5F0C1A2B-0000-4000-8000-00000000000A} "));
        assertEquals("42", ODataLiteral.of(CrmFieldType.INTEGER, "42"));
        assertEquals("3", ODataLiteral.of(CrmFieldType.PICKLIST, "3"));
        assertEquals("12.50", ODataLiteral.of(CrmFieldType.DECIMAL, "12.50"));
        assertEquals("true", ODataLiteral.of(CrmFieldType.BOOLEAN, "TRUE"));
        assertEquals("2024-01-31T10:15:00Z", ODataLiteral.of(CrmFieldType.DATETIME, "2024-01-31T11:15:00+01:00"));
        assertEquals("2024-01-31T10:15:00.250Z", ODataLiteral.dateTime(Instant.parse("2024-01-31T10:15:00.250Z")));
        assertEquals("2024-01-31", ODataLiteral.of(CrmFieldType.DATE, "2024-01-31"));
        assertEquals("null", ODataLiteral.of(CrmFieldType.STRING, null));
    }

    @Test
    void hostileTextIsRefusedForTypedColumns() {
        for (CrmFieldType type : new CrmFieldType[]{CrmFieldType.ID, CrmFieldType.REFERENCE, CrmFieldType.INTEGER,
                CrmFieldType.PICKLIST, CrmFieldType.DECIMAL, CrmFieldType.BOOLEAN, CrmFieldType.DATETIME, CrmFieldType.DATE}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ODataLiteral.of(type, HOSTILE), type.name());
            assertFalse(e.getMessage().contains(HOSTILE), "the message does not echo the value");
        }
        assertThrows(IllegalArgumentException.class, () -> ODataLiteral.guid("00000000-0000-0000-0000-00000000000) or (1 eq 1"));
        assertThrows(IllegalArgumentException.class, () -> ODataLiteral.of(CrmFieldType.INTEGER, "1.5"));
        assertThrows(IllegalArgumentException.class, () -> ODataLiteral.of(CrmFieldType.INTEGER, "1e400"));
    }

    @Test
    void urlPiecesAreEncoded() {
        assertEquals("a%20b%2Bc%26d%3De", ODataLiteral.queryValue("a b+c&d=e"));
        assertEquals(HOSTILE, URLDecoder.decode(ODataLiteral.queryValue(HOSTILE), StandardCharsets.UTF_8));
        String key = ODataLiteral.keySegment("nificrm_sourceid", "O'Brien/#1 ?&x=(y),z%", false);
        assertEquals("nificrm_sourceid='O''Brien%2F%231%20%3F%26x%3D%28y%29%2Cz%25'", key);
        assertFalse(key.substring(key.indexOf('\'') + 1, key.length() - 1).matches(".*[/?#() ].*"));
        assertEquals("nificrm_sourceid='%C3%A9t%C3%A9'", ODataLiteral.keySegment("nificrm_sourceid", "été", false));
        assertEquals("5f0c1a2b-0000-4000-8000-00000000000a",
                ODataLiteral.keySegment("contactid", "5F0C1A2B-0000-4000-8000-00000000000A", true));
        assertThrows(IllegalArgumentException.class, () -> ODataLiteral.keySegment("contactid", "not-a-guid", true));
        assertTrue(ODataLiteral.pathSegment("LogicalName='contact'").equals("LogicalName='contact'"));
    }
}
