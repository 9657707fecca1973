package io.nificrm.processors.dedup;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class NormalizeTest {

    @Test
    void emailsAreTrimmedAndLowerCasedAndCheckedForShape() {
        assertEquals("jane.doe@acme.com", Normalize.email("  Jane.Doe@ACME.com "));
        assertEquals("jane.doe@acme.com", Normalize.email("mailto:jane.doe@acme.com"));
        assertNull(Normalize.email("   "));
        assertTrue(Normalize.isValidEmail("jane.doe@acme.co.uk"));
        assertFalse(Normalize.isValidEmail("jane.doeacme.com"), "no @");
        assertFalse(Normalize.isValidEmail("jane.doe@@acme.com"), "two @");
        assertFalse(Normalize.isValidEmail("jane.doe@acme"), "no TLD");
        assertFalse(Normalize.isValidEmail(Normalize.email("jane doe@acme com")), "spaces for dots");
        assertEquals("jane.doe", Normalize.emailLocal("jane.doe@acme.com"));
        assertEquals("acme.com", Normalize.companyDomainOfEmail("jane@acme.com"));
        assertNull(Normalize.companyDomainOfEmail("jane@gmail.com"), "personal mailbox providers say nothing about the company");
    }

    @Test
    void namesLoseCaseAccentsPunctuationAndExtraSpace() {
        assertEquals("obrien", Normalize.name("O'Brien"));
        assertEquals("jose", Normalize.name("  JOSÉ "));
        assertEquals("van der berg", Normalize.name("van  der Berg"));
        assertEquals("mary jane", Normalize.name("Mary-Jane"));
        assertEquals("j", Normalize.name("J."));
        assertNull(Normalize.name(" - "));
    }

    @Test
    void companyNamesLoseLegalForms() {
        assertEquals("acme systems", Normalize.companyName("Acme Systems Inc."));
        assertEquals("acme systems", Normalize.companyName("ACME SYSTEMS, LLC"));
        assertEquals("acme systems", Normalize.companyName("Acme Systems"));
        assertEquals("smith and sons", Normalize.companyName("Smith & Sons GmbH"));
        assertEquals("the company", Normalize.companyName("The Company"), "a name made only of legal words is kept");
    }

    @Test
    void domainsComeFromWebAddressesAndEmails() {
        assertEquals("acme.com", Normalize.domain("https://www.Acme.com/about"));
        assertEquals("acme.com", Normalize.domain("http://acme.com:8080"));
        assertEquals("acme.co.uk", Normalize.domain("www.acme.co.uk"));
        assertEquals("acme.com", Normalize.domain("acme.com/"));
        assertEquals("acme.com", Normalize.domain("jane@acme.com"));
        assertNull(Normalize.domain("localhost"));
    }

    @Test
    void streetsCitiesAndCountries() {
        assertEquals("12 main st ste 4", Normalize.street("12, Main Street, Suite 4"));
        assertEquals("US", Normalize.country("United States"));
        assertEquals("US", Normalize.country("usa"));
        assertEquals("DE", Normalize.country("DEU"));
        assertEquals("GB", Normalize.country("U.K."));
        assertEquals("FR", Normalize.country("fr"));
        assertEquals("atlantis", Normalize.country("Atlantis"));
    }

    @Test
    void phoneNumbersInEveryWrittenFormMeet() {
        long us = PhoneKeys.key("+1 415 555 0134", "US", "US");
        for (String written : new String[]{"(415) 555-0134", "415-555-0134", "415.555.0134", "4155550134", "+14155550134",
                "1 415 555 0134", "011 1 415 555 0134", "tel: +1 (415) 555-0134 x12"}) {
            assertEquals(us, PhoneKeys.key(written, "US", "US"), written);
        }
        long de = PhoneKeys.key("+49 30 1234567", "DE", "US");
        for (String written : new String[]{"+4930 1234567", "030 1234567", "0049 30 1234567", "+49 (0)30 1234567"}) {
            assertEquals(de, PhoneKeys.key(written, "DE", "US"), written);
        }
        assertEquals(de, PhoneKeys.key("030 1234567", null, "DE"), "no country: the default region");
        assertNotEquals(de, PhoneKeys.key("030 1234567", "GB", "US"), "the same national digits in another country");
        long it = PhoneKeys.key("+39 21234567", "IT", "US");
        assertEquals(it, PhoneKeys.key("021234567", "IT", "US"), "Italian numbers with their leading zero");
        assertEquals(it, PhoneKeys.key("0039 21234567", "IT", "US"));
        long jp = PhoneKeys.key("+81 31 2345678", "JP", "US");
        assertEquals(jp, PhoneKeys.key("0081 312345678", "JP", "US"), "00 as the international prefix, even in Japan");
        assertEquals(jp, PhoneKeys.key("031 2345678", "JP", "US"));
        assertEquals("+14155550134", PhoneKeys.e164(us));
        assertEquals(0, PhoneKeys.key("12345", "US", "US"), "too short");
        assertEquals(0, PhoneKeys.key("n/a", "US", "US"));
    }

    @Test
    void nicknamesResolveToOneName() {
        assertTrue(Nicknames.equivalent("bob", "robert"));
        assertTrue(Nicknames.equivalent("liz", "beth"), "both Elizabeth");
        assertTrue(Nicknames.equivalent("chris", "christina"));
        assertTrue(Nicknames.equivalent("chris", "christopher"));
        assertFalse(Nicknames.equivalent("christopher", "christina"), "a shared nickname does not make two names one");
        assertFalse(Nicknames.equivalent("bob", "bill"));
        assertEquals('r', Nicknames.blockingInitial("bob"));
        assertEquals('w', Nicknames.blockingInitial("bill"));
        assertEquals('z', Nicknames.blockingInitial("zoe"));
    }
}
