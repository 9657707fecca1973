package io.nificrm.processors.dedup;

import org.junit.jupiter.api.Test;

import java.util.Map;

import static io.nificrm.processors.dedup.DedupFixtures.company;
import static io.nificrm.processors.dedup.DedupFixtures.person;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MatchModelTest {
    private final MatchModel people = new MatchModel(EntityType.PERSON, Map.of());
    private final MatchModel companies = new MatchModel(EntityType.COMPANY, Map.of());
    private static final double MATCH = 0.95;
    private static final double REVIEW = 0.5;

    private final Features robert = person("1", "robert.smith@acme.com", "(415) 555-0134", "Robert", "Smith", "001A1", "Boston");

    @Test
    void theSamePersonWrittenDifferentlyMatches() {
        assertTrue(people.score(robert, person("2", " Robert.Smith@ACME.com", "+1 415 555 0134", "ROBERT", "smith", "001A1", "Boston")) > 0.999,
                "case, space and phone format");
        assertTrue(people.score(robert, person("3", "robert.smith@acme.com", "4155550134", "Robret", "Smith", "001A1", "Boston")) >= MATCH,
                "a typo in the first name");
        assertTrue(people.score(robert, person("4", "robert.smith@gmail.com", "415.555.0134", "Bob", "Smith", "001A1", "Boston")) >= MATCH,
                "personal e-mail, nickname, same phone");
        assertTrue(people.score(robert, person("5", null, "415-555-0134", "Robert", "Smtih", "001A1", "Boston")) >= MATCH,
                "no e-mail, last-name typo");
        assertTrue(people.score(robert, person("6", "robert.smith@acme.com", "+14155550134", "Smith", "Robert", "001A1", "Boston")) >= MATCH,
                "first and last name swapped");
        assertTrue(people.score(person("7", "jane@x.io", null, null, null, null, null), person("8", "JANE@x.io", null, null, null, null, null)) >= MATCH,
                "the same e-mail and nothing else");
    }

    @Test
    void differentPeopleDoNotMatch() {
        assertTrue(people.score(robert, person("9", "robert.smith@outlook.com", "617 555 0199", "Robert", "Smith", "001A2", "Boston")) < REVIEW,
                "same name and city, different phone, company and mailbox");
        assertTrue(people.score(robert, person("10", "robert.smith2@acme.com", "617 555 0199", "Robert", "Smith", "001A2", "Boston")) < REVIEW,
                "a numbered mailbox is another person, not a typo");
        assertTrue(people.score(robert, person("11", "robert.smith@acme.com", "617 555 0199", "Alice", "Jones", "001A1", "Boston")) < REVIEW,
                "a shared mailbox with nothing else in common");
        assertTrue(people.score(robert, person("12", null, "(415) 555-0134", "Alice", "Jones", null, "Chicago")) < REVIEW,
                "a shared switchboard number");
    }

    @Test
    void uncertainPairsLandBetweenTheThresholds() {
        double p = people.score(robert, person("13", null, null, "Robert", "Smith", null, "Boston"));
        assertTrue(p < MATCH, "name and city alone are not enough to merge: " + p);
        double q = people.score(robert, person("14", null, "(415) 555-0134", "Alice", "Smith", null, "Boston"));
        assertTrue(q >= REVIEW && q < MATCH, "same phone, last name and city, another first name (a household?): review, " + q);
        assertTrue(people.score(robert, person("15", null, "(415) 555-0134", "R", "Smith", null, null)) >= MATCH,
                "same phone and last name with a matching initial");
    }

    @Test
    void companiesMatchOnNameVariantsAndDomain() {
        Features acme = company("1", "Acme Systems Inc.", "https://www.acme-systems.com", "+1 415 555 0100", "Boston");
        assertTrue(companies.score(acme, company("2", "ACME SYSTEMS", "http://acme-systems.com/about", null, "Boston")) >= MATCH);
        assertTrue(companies.score(acme, company("3", "Acme Sytems, Inc.", "acme-systems.com", "415.555.0100", "Boston")) >= MATCH);
        assertTrue(companies.score(acme, company("4", "Acme Global Logistics", "acme-logistics.com", "+1 212 555 0100", "New York")) < REVIEW);
        assertTrue(companies.score(acme, company("5", "Acme Systems", "acme-systems.de", "+49 30 1234567", "Berlin")) < MATCH,
                "the same name in another country with another domain is not certain");
    }

    @Test
    void probabilityAndWeightAreInverse() {
        assertEquals(0.5, people.probability(people.weightAt(0.5)), 1e-9);
        assertEquals(0.95, people.probability(people.weightAt(0.95)), 1e-9);
        assertEquals(20.0, people.weightAt(0.5), 1e-9, "the prior is the weight of an even chance");
    }

    @Test
    void weightsCanBeOverriddenByName() {
        MatchModel strict = new MatchModel(EntityType.PERSON, MatchModel.parseOverrides("{\"email.exact\": 10}"));
        Features a = person("a", "jane@x.io", null, null, null, null, null);
        Features b = person("b", "jane@x.io", null, null, null, null, null);
        assertTrue(strict.score(a, b) < REVIEW);
        assertTrue(assertThrows(IllegalArgumentException.class, () -> MatchModel.parseOverrides("{\"email.exakt\": 1}"))
                .getMessage().contains("unknown weight 'email.exakt'"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> MatchModel.parseOverrides("{\"prior\": \"high\"}"))
                .getMessage().contains("must be a number"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> MatchModel.parseOverrides("{nope"))
                .getMessage().startsWith("not valid JSON"));
    }
}
