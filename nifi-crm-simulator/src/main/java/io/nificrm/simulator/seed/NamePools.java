package io.nificrm.simulator.seed;

import java.util.List;
import java.util.Map;

/** Word lists the seed generator draws realistic names from. */
final class NamePools {
    private NamePools() {
    }

    static final List<String> FIRST_NAMES = List.of(
            "James", "Mary", "Robert", "Patricia", "John", "Jennifer", "Michael", "Linda", "William", "Elizabeth",
            "David", "Barbara", "Richard", "Susan", "Joseph", "Jessica", "Thomas", "Sarah", "Charles", "Karen",
            "Christopher", "Nancy", "Daniel", "Lisa", "Matthew", "Margaret", "Anthony", "Betty", "Mark", "Sandra",
            "Donald", "Ashley", "Steven", "Kimberly", "Paul", "Emily", "Andrew", "Donna", "Joshua", "Michelle",
            "Kenneth", "Dorothy", "Kevin", "Carol", "Brian", "Amanda", "George", "Melissa", "Edward", "Deborah",
            "Ronald", "Stephanie", "Timothy", "Rebecca", "Jason", "Sharon", "Jeffrey", "Laura", "Ryan", "Cynthia",
            "Jacob", "Kathleen", "Gary", "Amy", "Nicholas", "Shirley", "Eric", "Angela", "Jonathan", "Helen",
            "Stephen", "Anna", "Larry", "Brenda", "Justin", "Pamela", "Scott", "Nicole", "Brandon", "Emma",
            "Benjamin", "Samantha", "Samuel", "Katherine", "Gregory", "Christine", "Frank", "Debra", "Alexander", "Rachel",
            "Raymond", "Catherine", "Patrick", "Carolyn", "Jack", "Janet", "Dennis", "Ruth", "Jerry", "Maria",
            "Tyler", "Heather", "Aaron", "Diane", "Jose", "Virginia", "Adam", "Julie", "Henry", "Joyce",
            "Nathan", "Victoria", "Douglas", "Olivia", "Zachary", "Kelly", "Peter", "Christina", "Kyle", "Lauren",
            "Walter", "Joan", "Ethan", "Evelyn", "Jeremy", "Judith", "Harold", "Megan", "Keith", "Cheryl",
            "Christian", "Andrea", "Roger", "Hannah", "Noah", "Martha", "Gerald", "Jacqueline", "Carl", "Frances",
            "Terry", "Gloria", "Sean", "Ann", "Austin", "Teresa", "Arthur", "Kathryn", "Lawrence", "Sara",
            "Jesse", "Janice", "Dylan", "Jean", "Bryan", "Alice", "Joe", "Madison", "Jordan", "Doris",
            "Billy", "Abigail", "Bruce", "Julia", "Albert", "Judy", "Willie", "Grace", "Gabriel", "Denise",
            "Logan", "Amber", "Alan", "Marilyn", "Juan", "Beverly", "Wayne", "Danielle", "Roy", "Theresa",
            "Ralph", "Sophia", "Randy", "Marie", "Eugene", "Diana", "Vincent", "Brittany", "Russell", "Natalie",
            "Elijah", "Isabella", "Louis", "Charlotte", "Bobby", "Rose", "Philip", "Alexis", "Johnny", "Kayla",
            "Hiroshi", "Yuki", "Wei", "Mei", "Arjun", "Priya", "Mohammed", "Fatima", "Lars", "Ingrid",
            "Pierre", "Amelie", "Giovanni", "Giulia", "Sven", "Astrid", "Mateo", "Lucia", "Kwame", "Ama");

    static final List<String> LAST_NAMES = List.of(
            "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez", "Martinez",
            "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor", "Moore", "Jackson", "Martin",
            "Lee", "Perez", "Thompson", "White", "Harris", "Sanchez", "Clark", "Ramirez", "Lewis", "Robinson",
            "Walker", "Young", "Allen", "King", "Wright", "Scott", "Torres", "Nguyen", "Hill", "Flores",
            "Green", "Adams", "Nelson", "Baker", "Hall", "Rivera", "Campbell", "Mitchell", "Carter", "Roberts",
            "Gomez", "Phillips", "Evans", "Turner", "Diaz", "Parker", "Cruz", "Edwards", "Collins", "Reyes",
            "Stewart", "Morris", "Morales", "Murphy", "Cook", "Rogers", "Gutierrez", "Ortiz", "Morgan", "Cooper",
            "Peterson", "Bailey", "Reed", "Kelly", "Howard", "Ramos", "Kim", "Cox", "Ward", "Richardson",
            "Watson", "Brooks", "Chavez", "Wood", "James", "Bennett", "Gray", "Mendoza", "Ruiz", "Hughes",
            "Price", "Alvarez", "Castillo", "Sanders", "Patel", "Myers", "Long", "Ross", "Foster", "Jimenez",
            "Powell", "Jenkins", "Perry", "Russell", "Sullivan", "Bell", "Coleman", "Butler", "Henderson", "Barnes",
            "Gonzales", "Fisher", "Vasquez", "Simmons", "Romero", "Jordan", "Patterson", "Alexander", "Hamilton", "Graham",
            "Reynolds", "Griffin", "Wallace", "Moreno", "West", "Cole", "Hayes", "Bryant", "Herrera", "Gibson",
            "Ellis", "Tran", "Medina", "Aguilar", "Stevens", "Murray", "Ford", "Castro", "Marshall", "Owens",
            "Harrison", "Fernandez", "McDonald", "Woods", "Washington", "Kennedy", "Wells", "Vargas", "Henry", "Chen",
            "Freeman", "Webb", "Tucker", "Guzman", "Burns", "Crawford", "Olson", "Simpson", "Porter", "Hunter",
            "Gordon", "Mendez", "Silva", "Shaw", "Snyder", "Mason", "Dixon", "Munoz", "Hunt", "Hicks",
            "Holmes", "Palmer", "Wagner", "Black", "Robertson", "Boyd", "Rose", "Stone", "Salazar", "Fox",
            "Warren", "Mills", "Meyer", "Rice", "Schmidt", "Garza", "Daniels", "Ferguson", "Nichols", "Stephens",
            "Soto", "Weaver", "Ryan", "Gardner", "Payne", "Grant", "Dunn", "Kelley", "Spencer", "Hawkins",
            "Tanaka", "Suzuki", "Wang", "Zhang", "Sharma", "Gupta", "Khan", "Ali", "Andersson", "Johansson",
            "Dubois", "Laurent", "Rossi", "Bianchi", "Novak", "Kowalski", "Muller", "Schneider", "Mensah", "Okafor",
            "O'Brien", "D'Angelo", "van der Berg", "de la Cruz", "Nakamura", "Yamamoto", "Ivanov", "Petrov", "Costa", "Santos");

    static final Map<String, String> NICKNAMES = Map.ofEntries(
            Map.entry("Robert", "Bob"), Map.entry("William", "Bill"), Map.entry("Richard", "Rick"),
            Map.entry("Michael", "Mike"), Map.entry("James", "Jim"), Map.entry("Joseph", "Joe"),
            Map.entry("Thomas", "Tom"), Map.entry("Christopher", "Chris"), Map.entry("Daniel", "Dan"),
            Map.entry("Matthew", "Matt"), Map.entry("Anthony", "Tony"), Map.entry("Elizabeth", "Liz"),
            Map.entry("Jennifer", "Jen"), Map.entry("Katherine", "Kate"), Map.entry("Margaret", "Maggie"),
            Map.entry("Patricia", "Pat"), Map.entry("Steven", "Steve"), Map.entry("Andrew", "Andy"),
            Map.entry("Jonathan", "Jon"), Map.entry("Samuel", "Sam"), Map.entry("Alexander", "Alex"),
            Map.entry("Benjamin", "Ben"), Map.entry("Nicholas", "Nick"), Map.entry("Rebecca", "Becky"),
            Map.entry("Victoria", "Vicky"), Map.entry("Gregory", "Greg"), Map.entry("Timothy", "Tim"));

    static final List<String> TITLES = List.of("CEO", "CTO", "CFO", "VP Sales", "VP Marketing", "Sales Manager",
            "Account Executive", "Engineer", "Senior Engineer", "Product Manager", "Office Manager", "Buyer",
            "Procurement Lead", "Director of IT", "Analyst", "Consultant", "Operations Manager", "Founder");

    static final List<String> COMPANY_WORDS = List.of("Acme", "Globex", "Initech", "Umbrella", "Stark", "Wayne",
            "Hooli", "Vandelay", "Soylent", "Tyrell", "Cyberdyne", "Aperture", "Gringotts", "Oscorp", "Wonka",
            "Nakatomi", "Massive", "Dynamic", "Blue", "Red", "Green", "Silver", "Golden", "Northern", "Southern",
            "Pacific", "Atlantic", "Summit", "Pioneer", "Vertex", "Quantum", "Nova", "Apex", "Orbit", "Beacon",
            "Harbor", "Falcon", "Cedar", "Maple", "Granite", "Iron", "Crystal", "Bright", "Swift", "Prime");

    static final List<String> COMPANY_NOUNS = List.of("Systems", "Industries", "Labs", "Logistics", "Foods",
            "Energy", "Health", "Media", "Finance", "Software", "Robotics", "Textiles", "Motors", "Analytics",
            "Networks", "Solutions", "Partners", "Holdings", "Works", "Consulting", "Pharma", "Retail", "Capital");

    static final List<String> COMPANY_SUFFIXES = List.of("Inc.", "LLC", "Ltd", "GmbH", "Corp.", "Co.", "Group", "");

    /** City and its country, ISO-3166 alpha-2, with the phone country code. */
    record Place(String city, String country, String dialCode) {
    }

    static final List<Place> PLACES = List.of(
            new Place("San Francisco", "US", "1"), new Place("New York", "US", "1"), new Place("Chicago", "US", "1"),
            new Place("Austin", "US", "1"), new Place("Seattle", "US", "1"), new Place("Boston", "US", "1"),
            new Place("Toronto", "CA", "1"), new Place("London", "GB", "44"), new Place("Manchester", "GB", "44"),
            new Place("Berlin", "DE", "49"), new Place("Munich", "DE", "49"), new Place("Paris", "FR", "33"),
            new Place("Madrid", "ES", "34"), new Place("Milan", "IT", "39"), new Place("Amsterdam", "NL", "31"),
            new Place("Stockholm", "SE", "46"), new Place("Sydney", "AU", "61"), new Place("Tokyo", "JP", "81"),
            new Place("Singapore", "SG", "65"), new Place("Dublin", "IE", "353"));

    static final List<String> PERSONAL_MAIL_DOMAINS = List.of("gmail.com", "yahoo.com", "outlook.com", "hotmail.com",
            "icloud.com", "proton.me");
}
