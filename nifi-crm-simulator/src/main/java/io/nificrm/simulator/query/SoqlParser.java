package io.nificrm.simulator.query;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A recursive-descent parser for the SOQL subset in {@link SoqlQuery}. String literals take SOQL's backslash
 * escapes ({@code \' \" \\ \n \r \t \b \f \_ \%}); an unescaped quote inside a literal is a syntax error, which is
 * exactly what an injection attempt produces on the real service.
 */
public final class SoqlParser {
    private final List<Token> tokens;
    private int pos;

    private SoqlParser(String soql) {
        this.tokens = new Lexer(soql).tokenize();
    }

    public static SoqlQuery parse(String soql) {
        if (soql == null || soql.isBlank()) {
            throw malformed("empty query");
        }
        return new SoqlParser(soql).query();
    }

    private SoqlQuery query() {
        expectKeyword("SELECT");
        List<String> fields = new ArrayList<>();
        boolean count = false;
        if (peekKeyword("COUNT")) {
            next();
            expect(TokenType.LPAREN);
            expect(TokenType.RPAREN);
            count = true;
        } else {
            do {
                fields.add(identifier("field name"));
            } while (accept(TokenType.COMMA));
        }
        expectKeyword("FROM");
        String object = identifier("object name");
        Expr where = Expr.TRUE;
        if (acceptKeyword("WHERE")) {
            where = orExpr();
        }
        List<OrderBy> orderBy = new ArrayList<>();
        if (acceptKeyword("ORDER")) {
            expectKeyword("BY");
            do {
                String field = identifier("field name");
                boolean desc = false;
                if (acceptKeyword("DESC")) {
                    desc = true;
                } else {
                    acceptKeyword("ASC");
                }
                if (acceptKeyword("NULLS")) {
                    if (!acceptKeyword("FIRST") && !acceptKeyword("LAST")) {
                        throw malformed("expected FIRST or LAST after NULLS");
                    }
                }
                orderBy.add(new OrderBy(field, desc));
            } while (accept(TokenType.COMMA));
        }
        Integer limit = null;
        if (acceptKeyword("LIMIT")) {
            Token n = expect(TokenType.NUMBER);
            limit = Integer.parseInt(n.text());
        }
        if (peek().type() != TokenType.END) {
            throw malformed("unexpected token '" + peek().text() + "'");
        }
        return new SoqlQuery(fields, count, object, where, orderBy, limit);
    }

    private Expr orExpr() {
        List<Expr> parts = new ArrayList<>(List.of(andExpr()));
        while (acceptKeyword("OR")) {
            parts.add(andExpr());
        }
        return parts.size() == 1 ? parts.get(0) : new Expr.Or(parts);
    }

    private Expr andExpr() {
        List<Expr> parts = new ArrayList<>(List.of(notExpr()));
        while (acceptKeyword("AND")) {
            parts.add(notExpr());
        }
        return parts.size() == 1 ? parts.get(0) : new Expr.And(parts);
    }

    private Expr notExpr() {
        if (acceptKeyword("NOT")) {
            return new Expr.Not(notExpr());
        }
        if (accept(TokenType.LPAREN)) {
            Expr inner = orExpr();
            expect(TokenType.RPAREN);
            return inner;
        }
        return condition();
    }

    private Expr condition() {
        String field = identifier("field name");
        if (acceptKeyword("LIKE")) {
            return new Expr.Like(field, expect(TokenType.STRING).text());
        }
        boolean negated = false;
        if (peekKeyword("NOT") && peekAhead(1).type() == TokenType.WORD && peekAhead(1).text().equalsIgnoreCase("IN")) {
            next();
            negated = true;
        }
        if (acceptKeyword("IN")) {
            expect(TokenType.LPAREN);
            List<Object> values = new ArrayList<>();
            do {
                values.add(literal());
            } while (accept(TokenType.COMMA));
            expect(TokenType.RPAREN);
            return new Expr.In(field, values, negated);
        }
        Token op = expect(TokenType.OPERATOR);
        Expr.Op operator = switch (op.text()) {
            case "=" -> Expr.Op.EQ;
            case "!=", "<>" -> Expr.Op.NE;
            case "<" -> Expr.Op.LT;
            case "<=" -> Expr.Op.LE;
            case ">" -> Expr.Op.GT;
            case ">=" -> Expr.Op.GE;
            default -> throw malformed("unknown operator " + op.text());
        };
        return new Expr.Compare(field, operator, literal());
    }

    private Object literal() {
        Token t = next();
        return switch (t.type()) {
            case STRING, DATETIME, DATE -> t.text();
            case NUMBER -> t.text().contains(".") ? Double.parseDouble(t.text()) : Long.parseLong(t.text());
            case WORD -> switch (t.text().toUpperCase(Locale.ROOT)) {
                case "TRUE" -> Boolean.TRUE;
                case "FALSE" -> Boolean.FALSE;
                case "NULL" -> null;
                default -> throw malformed("unexpected '" + t.text() + "' where a value was expected");
            };
            default -> throw malformed("unexpected '" + t.text() + "' where a value was expected");
        };
    }

    private String identifier(String what) {
        Token t = next();
        if (t.type() != TokenType.WORD) {
            throw malformed("expected " + what + " but found '" + t.text() + "'");
        }
        return t.text();
    }

    private Token peek() {
        return tokens.get(pos);
    }

    private Token peekAhead(int n) {
        return tokens.get(Math.min(pos + n, tokens.size() - 1));
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

    private Token expect(TokenType type) {
        Token t = next();
        if (t.type() != type) {
            throw malformed("expected " + type.name().toLowerCase(Locale.ROOT) + " but found '" + t.text() + "'");
        }
        return t;
    }

    private boolean peekKeyword(String keyword) {
        return peek().type() == TokenType.WORD && peek().text().equalsIgnoreCase(keyword);
    }

    private boolean acceptKeyword(String keyword) {
        if (peekKeyword(keyword)) {
            pos++;
            return true;
        }
        return false;
    }

    private void expectKeyword(String keyword) {
        if (!acceptKeyword(keyword)) {
            throw malformed("expected " + keyword + " but found '" + peek().text() + "'");
        }
    }

    private static QueryException malformed(String detail) {
        return new QueryException("MALFORMED_QUERY", "unexpected token or syntax: " + detail);
    }

    enum TokenType { WORD, STRING, NUMBER, DATE, DATETIME, OPERATOR, LPAREN, RPAREN, COMMA, END }

    record Token(TokenType type, String text) {
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
                    out.add(new Token(TokenType.END, "<end of query>"));
                    return out;
                }
                char c = in.charAt(i);
                if (c == '\'') {
                    out.add(new Token(TokenType.STRING, string()));
                } else if (c == '(') {
                    i++;
                    out.add(new Token(TokenType.LPAREN, "("));
                } else if (c == ')') {
                    i++;
                    out.add(new Token(TokenType.RPAREN, ")"));
                } else if (c == ',') {
                    i++;
                    out.add(new Token(TokenType.COMMA, ","));
                } else if ("=!<>".indexOf(c) >= 0) {
                    out.add(new Token(TokenType.OPERATOR, operator()));
                } else if (Character.isDigit(c) || (c == '-' && i + 1 < in.length() && Character.isDigit(in.charAt(i + 1)))) {
                    out.add(numberOrDate());
                } else if (Character.isLetter(c) || c == '_') {
                    int start = i;
                    while (i < in.length() && (Character.isLetterOrDigit(in.charAt(i)) || in.charAt(i) == '_' || in.charAt(i) == '.')) {
                        i++;
                    }
                    out.add(new Token(TokenType.WORD, in.substring(start, i)));
                } else {
                    throw malformed("unexpected character '" + c + "'");
                }
            }
        }

        private String string() {
            StringBuilder sb = new StringBuilder();
            i++;
            while (i < in.length()) {
                char c = in.charAt(i++);
                if (c == '\'') {
                    return sb.toString();
                }
                if (c == '\\') {
                    if (i >= in.length()) {
                        break;
                    }
                    char e = in.charAt(i++);
                    sb.append(switch (e) {
                        case 'n' -> '\n';
                        case 'r' -> '\r';
                        case 't' -> '\t';
                        case 'b' -> '\b';
                        case 'f' -> '\f';
                        case '\'', '"', '\\', '_', '%' -> e;
                        default -> throw malformed("invalid escape sequence \\" + e);
                    });
                } else {
                    sb.append(c);
                }
            }
            throw malformed("unterminated string literal");
        }

        private String operator() {
            String two = i + 1 < in.length() ? in.substring(i, i + 2) : "";
            if (two.equals("<=") || two.equals(">=") || two.equals("!=") || two.equals("<>")) {
                i += 2;
                return two;
            }
            char c = in.charAt(i++);
            if (c == '!') {
                throw malformed("unexpected '!'");
            }
            return String.valueOf(c);
        }

        private Token numberOrDate() {
            int start = i;
            if (in.charAt(i) == '-') {
                i++;
            }
            while (i < in.length() && (Character.isLetterOrDigit(in.charAt(i)) || ".:+-".indexOf(in.charAt(i)) >= 0)) {
                i++;
            }
            String text = in.substring(start, i);
            if (text.matches("\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d+)?(Z|[+-]\\d{2}:?\\d{2})")) {
                return new Token(TokenType.DATETIME, text);
            }
            if (text.matches("\\d{4}-\\d{2}-\\d{2}")) {
                return new Token(TokenType.DATE, text);
            }
            if (text.matches("-?\\d+(\\.\\d+)?")) {
                return new Token(TokenType.NUMBER, text);
            }
            throw malformed("invalid literal '" + text + "'");
        }
    }
}
