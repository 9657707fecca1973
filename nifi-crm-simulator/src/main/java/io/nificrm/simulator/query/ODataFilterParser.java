package io.nificrm.simulator.query;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A recursive-descent parser for the OData {@code $filter} subset the Dataverse Web API accepts, building the shared
 * {@link Expr} AST:
 * <ul>
 *   <li>comparisons {@code eq ne gt ge lt le} between a property and a literal;</li>
 *   <li>{@code and}, {@code or}, {@code not} and parentheses (precedence: not, and, or);</li>
 *   <li>{@code contains(p,'x')}, {@code startswith(p,'x')}, {@code endswith(p,'x')} (as on the real service,
 *       {@code %} and {@code _} inside the text act as wildcards);</li>
 *   <li>literals: {@code 'text'} where {@code ''} is an escaped quote, numbers, {@code true false null}, unquoted
 *       GUIDs, unquoted date-times ({@code 2024-01-01T00:00:00Z}) and dates ({@code 2024-01-01}).</li>
 * </ul>
 * An unescaped quote inside a text literal ends the literal and leaves stray tokens behind, which is a syntax error
 * ({@value #SYNTAX_ERROR}, "Syntax error at position N in '...'"): exactly what an injection attempt produces on the
 * real service. Property names are case-sensitive; operators and function names are accepted in any case.
 */
public final class ODataFilterParser {
    /** Dataverse's error code for a malformed query option. */
    public static final String SYNTAX_ERROR = "0x80060888";

    private static final Pattern GUID = Pattern.compile("[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}");
    private static final Pattern DATETIME = Pattern.compile(
            "\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}(:\\d{2}(\\.\\d{1,9})?)?(Z|[+-]\\d{2}:\\d{2})");
    private static final Pattern DATE = Pattern.compile("\\d{4}-\\d{2}-\\d{2}");
    private static final Pattern NUMBER = Pattern.compile("-?\\d+(\\.\\d+)?([eE][+-]?\\d+)?");
    private static final Pattern IDENTIFIER = Pattern.compile("[A-Za-z_][A-Za-z0-9_.]*");

    private final String text;
    private final List<Token> tokens;
    private final UnaryOperator<String> fieldNames;
    private int pos;

    private ODataFilterParser(String text, UnaryOperator<String> fieldNames) {
        this.text = text;
        this.tokens = new Lexer(text).tokenize();
        this.fieldNames = fieldNames;
    }

    /** Parses a filter, keeping property names as written. */
    public static Expr parse(String filter) {
        return parse(filter, UnaryOperator.identity());
    }

    /**
     * Parses a filter, passing each property name through {@code fieldNames}, which maps a wire name to the
     * schema's field name (e.g. {@code _parentcustomerid_value} to {@code parentcustomerid}) or throws a
     * {@link QueryException} for an unknown property.
     */
    public static Expr parse(String filter, UnaryOperator<String> fieldNames) {
        if (filter == null || filter.isBlank()) {
            throw new QueryException(SYNTAX_ERROR, "Syntax error: the $filter expression is empty.");
        }
        ODataFilterParser parser = new ODataFilterParser(filter, fieldNames);
        Expr expr = parser.orExpr();
        if (parser.peek().type() != TokenType.END) {
            throw parser.syntaxError(parser.peek());
        }
        return expr;
    }

    private Expr orExpr() {
        List<Expr> parts = new ArrayList<>(List.of(andExpr()));
        while (acceptWord("or")) {
            parts.add(andExpr());
        }
        return parts.size() == 1 ? parts.get(0) : new Expr.Or(parts);
    }

    private Expr andExpr() {
        List<Expr> parts = new ArrayList<>(List.of(unary()));
        while (acceptWord("and")) {
            parts.add(unary());
        }
        return parts.size() == 1 ? parts.get(0) : new Expr.And(parts);
    }

    private Expr unary() {
        if (acceptWord("not")) {
            return new Expr.Not(unary());
        }
        if (accept(TokenType.LPAREN)) {
            Expr inner = orExpr();
            expect(TokenType.RPAREN);
            return inner;
        }
        Token first = next();
        if (first.type() != TokenType.WORD || isKeyword(first.text())) {
            throw syntaxError(first);
        }
        if (peek().type() == TokenType.LPAREN) {
            return function(first);
        }
        String field = fieldNames.apply(first.text());
        Token op = next();
        Expr.Op operator = op.type() != TokenType.WORD ? null : switch (op.text().toLowerCase(Locale.ROOT)) {
            case "eq" -> Expr.Op.EQ;
            case "ne" -> Expr.Op.NE;
            case "gt" -> Expr.Op.GT;
            case "ge" -> Expr.Op.GE;
            case "lt" -> Expr.Op.LT;
            case "le" -> Expr.Op.LE;
            default -> null;
        };
        if (operator == null) {
            throw syntaxError(op);
        }
        return new Expr.Compare(field, operator, literal());
    }

    private Expr function(Token name) {
        String function = name.text().toLowerCase(Locale.ROOT);
        if (!function.equals("contains") && !function.equals("startswith") && !function.equals("endswith")) {
            throw new QueryException(SYNTAX_ERROR, "Unknown function '" + name.text() + "' at position " + name.pos()
                    + " in '" + text + "'.");
        }
        expect(TokenType.LPAREN);
        Token property = next();
        if (property.type() != TokenType.WORD || isKeyword(property.text())) {
            throw syntaxError(property);
        }
        String field = fieldNames.apply(property.text());
        expect(TokenType.COMMA);
        String value = expect(TokenType.STRING).text();
        expect(TokenType.RPAREN);
        return new Expr.Like(field, switch (function) {
            case "contains" -> "%" + value + "%";
            case "startswith" -> value + "%";
            default -> "%" + value;
        });
    }

    private Object literal() {
        Token t = next();
        return switch (t.type()) {
            case STRING, GUID, DATETIME, DATE -> t.text();
            case NUMBER -> t.text().matches("-?\\d+") ? parseLong(t) : Double.valueOf(t.text());
            case WORD -> switch (t.text().toLowerCase(Locale.ROOT)) {
                case "true" -> Boolean.TRUE;
                case "false" -> Boolean.FALSE;
                case "null" -> null;
                default -> throw syntaxError(t);
            };
            default -> throw syntaxError(t);
        };
    }

    private static Object parseLong(Token t) {
        try {
            return Long.parseLong(t.text());
        } catch (NumberFormatException e) {
            return Double.parseDouble(t.text());
        }
    }

    private static boolean isKeyword(String word) {
        return switch (word.toLowerCase(Locale.ROOT)) {
            case "and", "or", "not", "eq", "ne", "gt", "ge", "lt", "le", "true", "false", "null" -> true;
            default -> false;
        };
    }

    private Token peek() {
        return tokens.get(pos);
    }

    private Token next() {
        Token t = tokens.get(pos);
        if (t.type() != TokenType.END) {
            pos++;
        }
        return t;
    }

    private boolean accept(TokenType type) {
        if (peek().type() == type) {
            pos++;
            return true;
        }
        return false;
    }

    private boolean acceptWord(String word) {
        if (peek().type() == TokenType.WORD && peek().text().equalsIgnoreCase(word)) {
            pos++;
            return true;
        }
        return false;
    }

    private Token expect(TokenType type) {
        Token t = next();
        if (t.type() != type) {
            throw syntaxError(t);
        }
        return t;
    }

    private QueryException syntaxError(Token at) {
        return syntaxError(at.pos(), text);
    }

    private static QueryException syntaxError(int position, String text) {
        return new QueryException(SYNTAX_ERROR, "Syntax error at position " + position + " in '" + text + "'.");
    }

    enum TokenType { WORD, STRING, NUMBER, GUID, DATE, DATETIME, LPAREN, RPAREN, COMMA, END }

    /** One token; {@code pos} is where it starts (0-based), for error messages. */
    record Token(TokenType type, String text, int pos) {
    }

    private static final class Lexer {
        private final String in;
        private int i;

        Lexer(String in) {
            this.in = in;
        }

        List<Token> tokenize() {
            List<Token> out = new ArrayList<>();
            while (true) {
                while (i < in.length() && Character.isWhitespace(in.charAt(i))) {
                    i++;
                }
                if (i >= in.length()) {
                    out.add(new Token(TokenType.END, "", in.length()));
                    return out;
                }
                char c = in.charAt(i);
                int start = i;
                if (c == '\'') {
                    out.add(new Token(TokenType.STRING, string(), start));
                } else if (c == '(') {
                    i++;
                    out.add(new Token(TokenType.LPAREN, "(", start));
                } else if (c == ')') {
                    i++;
                    out.add(new Token(TokenType.RPAREN, ")", start));
                } else if (c == ',') {
                    i++;
                    out.add(new Token(TokenType.COMMA, ",", start));
                } else if (matchWhole(GUID)) {
                    out.add(new Token(TokenType.GUID, in.substring(start, i).toLowerCase(Locale.ROOT), start));
                } else if (Character.isDigit(c) || (c == '-' && i + 1 < in.length() && Character.isDigit(in.charAt(i + 1)))) {
                    if (matchWhole(DATETIME)) {
                        out.add(new Token(TokenType.DATETIME, in.substring(start, i), start));
                    } else if (matchWhole(DATE)) {
                        out.add(new Token(TokenType.DATE, in.substring(start, i), start));
                    } else if (matchWhole(NUMBER)) {
                        out.add(new Token(TokenType.NUMBER, in.substring(start, i), start));
                    } else {
                        throw syntaxError(start, in);
                    }
                } else if (matchWhole(IDENTIFIER)) {
                    out.add(new Token(TokenType.WORD, in.substring(start, i), start));
                } else {
                    throw syntaxError(start, in);
                }
            }
        }

        /** Consumes {@code pattern} at the current position when it matches up to a token boundary. */
        private boolean matchWhole(Pattern pattern) {
            Matcher m = pattern.matcher(in).region(i, in.length());
            if (!m.lookingAt()) {
                return false;
            }
            int end = m.end();
            if (end < in.length() && (Character.isLetterOrDigit(in.charAt(end)) || in.charAt(end) == '_'
                    || in.charAt(end) == '-' || in.charAt(end) == ':' || in.charAt(end) == '.')) {
                return false;
            }
            i = end;
            return true;
        }

        /** A quoted literal; {@code ''} stands for one quote. An unterminated literal is a syntax error. */
        private String string() {
            StringBuilder sb = new StringBuilder();
            i++;
            while (i < in.length()) {
                char c = in.charAt(i++);
                if (c == '\'') {
                    if (i < in.length() && in.charAt(i) == '\'') {
                        sb.append('\'');
                        i++;
                        continue;
                    }
                    return sb.toString();
                }
                sb.append(c);
            }
            throw syntaxError(in.length(), in);
        }
    }
}
