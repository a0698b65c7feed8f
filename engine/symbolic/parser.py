"""Text to expression tree: a tokenizer and a Pratt (precedence-climbing) parser of our own.

Grammar, loosest to tightest: ``+ -`` (left), ``* /`` and implicit multiplication (left,
the same precedence: ``1/2x`` is ``(1/2)x``), unary ``-`` (so ``-x^2`` is ``-(x^2)``),
``^`` or ``**`` (right: ``2^3^2`` is ``2^9``; its exponent may start with ``-``).
Implicit multiplication joins a number, a name or ``)`` to a following name or ``(``:
``2x``, ``2(x+1)``, ``x y``, ``3xy`` (a run of letters is split into known names, longest
first: ``xy`` is ``x y``, ``sinx`` is ``sin x``). A number after something needs an
operator (``x2`` is an error). Functions: sin cos tan exp log (= ln, the natural log)
sqrt abs; ``sin x^2`` is ``sin(x^2)`` (without parentheses a function takes one power).
Constants pi and e. No scientific notation (``2e3`` is 2·e·3, so it is refused).

Nothing is ever evaluated here; the text is bounded by ``MAX_LENGTH`` characters and the
nesting by ``MAX_DEPTH`` levels, checked before any work grows with them.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from gradtui.engine.symbolic.tree import FUNCTIONS, Call, Const, Div, Expr, Neg, Num, Pow, Product, Sum, Var, number

MAX_LENGTH = 200
"""Longest text accepted, in characters."""
MAX_DEPTH = 50
"""Deepest nesting accepted (parentheses, unary minus, powers, function calls)."""

_CONSTANTS = ("pi", "e")
_OPERATORS = "+-*/^(),"
_SUM_BP, _PRODUCT_BP, _UNARY_BP, _POWER_BP = 10, 20, 30, 40


class ParseError(ValueError):
    """Text outside the grammar: ``message`` says why, ``column`` (1-based) says where."""

    def __init__(self, message: str, column: int, text: str, hint: str = "") -> None:
        super().__init__(f"{message} (column {column})" + (f"; {hint}" if hint else ""))
        self.message = message
        self.column = column
        self.text = text
        self.hint = hint
        """What would be read there instead (shown where there is room)."""

    def pointer(self, width: int = 72) -> tuple[str, str]:
        """The text (a window of at most ``width`` characters around the column, printable
        characters only) and a line with a caret under the column."""
        start = max(0, self.column - 1 - width // 2)
        shown = "".join(c if c.isprintable() else "?" for c in self.text[start:start + width])
        return shown, " " * (self.column - 1 - start) + "^"


@dataclass(frozen=True)
class Token:
    """One token: ``kind`` is "num", "name", "op" or "end"; ``column`` is 1-based."""

    kind: str
    text: str
    column: int


def _names(variables: tuple[str, ...]) -> list[str]:
    """Every name a letter run may be split into, longest first."""
    return sorted(set(FUNCTIONS) | {"ln"} | set(_CONSTANTS) | set(variables), key=len, reverse=True)


def tokenize(text: str, variables: tuple[str, ...] = ("x", "y")) -> list[Token]:
    """The tokens of ``text``, ending with an "end" token; ParseError on anything else."""
    names = _names(variables)
    tokens: list[Token] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c in " \t":
            i += 1
        elif c == "*" and text.startswith("**", i):
            tokens.append(Token("op", "^", i + 1))
            i += 2
        elif c in _OPERATORS:
            tokens.append(Token("op", c, i + 1))
            i += 1
        elif c.isascii() and (c.isdigit() or c == "."):
            j = i
            while j < n and text[j].isascii() and text[j].isdigit():
                j += 1
            if j < n and text[j] == ".":
                j += 1
                while j < n and text[j].isascii() and text[j].isdigit():
                    j += 1
            if text[i:j] == ".":
                raise ParseError("a '.' belongs inside a number, like 0.5", i + 1, text)
            tokens.append(Token("num", text[i:j], i + 1))
            i = j
        elif c.isascii() and c.isalpha():
            j = i
            while j < n and text[j].isascii() and text[j].isalpha():
                j += 1
            tokens.extend(_split_letters(text, i, j, names, variables))
            i = j
        else:
            code = f"U+{ord(c):04X}"
            shown = f"{c!r} ({code})" if c.isprintable() else code
            hint = ": only ASCII letters, digits, spaces and + - * / ^ ( ) are read" if not c.isascii() else ""
            raise ParseError(f"unexpected character {shown}{hint}", i + 1, text)
    tokens.append(Token("end", "", n + 1))
    return tokens


def _split_letters(text: str, start: int, stop: int, names: list[str],
                   variables: tuple[str, ...]) -> list[Token]:
    """A run of letters as known names, longest first; ParseError at the first unknown letter."""
    out: list[Token] = []
    i = start
    while i < stop:
        name = next((m for m in names if text.startswith(m, i) and i + len(m) <= stop), None)
        if name is None:
            known = ", ".join(variables) + ", pi, e, " + " ".join(FUNCTIONS) + ", ln"
            raise ParseError(f"unknown name {text[i:stop]!r}", i + 1, text, f"known: {known}")
        out.append(Token("name", name, i + 1))
        i += len(name)
    return out


def parse(text: str, variables: tuple[str, ...] = ("x", "y")) -> Expr:
    """The expression tree of ``text``; ParseError (message and column) when it is not in the grammar."""
    if not isinstance(text, str):
        raise ParseError("a function is text", 1, "")
    if len(text) > MAX_LENGTH:
        raise ParseError(f"too long: {len(text):,} characters (at most {MAX_LENGTH})", MAX_LENGTH + 1, text)
    tokens = tokenize(text, variables)
    if tokens[0].kind == "end":
        raise ParseError("empty: type a function, e.g. x^2 + 3x", 1, text)
    return _Parser(text, tokens, variables).parse()


def parse_vector(text: str, variables: tuple[str, ...] = ("x", "y")) -> tuple[Expr, ...]:
    """The components of a vector function written ``f1, f2, ...`` (ParseError columns count
    from the start of the whole text)."""
    if len(text) > MAX_LENGTH:
        raise ParseError(f"too long: {len(text):,} characters (at most {MAX_LENGTH})", MAX_LENGTH + 1, text)
    components: list[Expr] = []
    offset = 0
    for piece in text.split(","):
        try:
            components.append(parse(piece, variables))
        except ParseError as exc:
            raise ParseError(exc.message, exc.column + offset, text, exc.hint) from None
        offset += len(piece) + 1
    return tuple(components)


class _Parser:
    """Pratt parser over a token list; ``depth`` bounds the recursion."""

    def __init__(self, text: str, tokens: list[Token], variables: tuple[str, ...]) -> None:
        self.text = text
        self.tokens = tokens
        self.variables = variables
        self.pos = 0
        self.depth = 0

    def parse(self) -> Expr:
        tree = self.expression(0)
        tok = self.peek()
        if tok.kind != "end":
            if tok.text == ")":
                self.fail("a ')' without its '('", tok)
            if tok.kind == "num":
                self.fail(f"an operator is missing before {tok.text} (write * to multiply)", tok)
            if tok.text == ",":
                self.fail("a comma separates the parts of a vector function; this takes one function", tok)
            self.fail(f"unexpected {tok.text!r}", tok)
        return tree

    def peek(self) -> Token:
        return self.tokens[self.pos]

    def take(self) -> Token:
        tok = self.tokens[self.pos]
        self.pos += 1
        return tok

    def fail(self, message: str, tok: Token) -> None:
        raise ParseError(message, tok.column, self.text)

    def expression(self, rbp: int) -> Expr:
        """The longest expression whose operators bind tighter than ``rbp``."""
        self.depth += 1
        if self.depth > MAX_DEPTH:
            self.fail(f"nested too deeply (more than {MAX_DEPTH} levels)", self.peek())
        left = self.prefix()
        while True:
            tok = self.peek()
            if tok.kind == "op" and tok.text in "+-" and _SUM_BP > rbp:
                left = self.sum(left)
            elif self.starts_product(tok) and _PRODUCT_BP > rbp:
                left = self.product(left)
            elif tok.kind == "op" and tok.text == "^" and _POWER_BP > rbp:
                self.take()
                left = Pow(left, self.expression(_POWER_BP - 1))
            else:
                break
        self.depth -= 1
        return left

    @staticmethod
    def starts_product(tok: Token) -> bool:
        """``*``, ``/``, or the start of an implicit factor (a name or ``(``)."""
        return (tok.kind == "op" and tok.text in "*/(") or tok.kind == "name"

    def sum(self, first: Expr) -> Expr:
        terms = [first]
        while self.peek().kind == "op" and self.peek().text in "+-":
            op = self.take().text
            term = self.expression(_SUM_BP)
            terms.append(term if op == "+" else Neg(term))
        return Sum(tuple(terms))

    def product(self, first: Expr) -> Expr:
        factors = [first]
        while self.starts_product(self.peek()):
            tok = self.peek()
            if tok.kind == "op" and tok.text in "*/":
                self.take()
            right = self.expression(_PRODUCT_BP)
            if tok.text == "/":
                factors = [Div(_product(factors), right)]
            else:
                factors.append(right)
        return _product(factors)

    def prefix(self) -> Expr:
        tok = self.take()
        if tok.kind == "num":
            value = Fraction(tok.text) if "." not in tok.text else float(tok.text)
            return Num(number(value))
        if tok.kind == "name":
            if tok.text in self.variables:
                return Var(tok.text)
            if tok.text in _CONSTANTS:
                return Const(tok.text)
            return self.call("log" if tok.text == "ln" else tok.text, tok)
        if tok.text == "(":
            inner = self.expression(0)
            self.expect_close(tok)
            return inner
        if tok.text == "-":
            return Neg(self.expression(_UNARY_BP))
        if tok.text == "+":
            return self.expression(_UNARY_BP)
        if tok.kind == "end":
            self.fail("the function ends too soon: something is missing here", tok)
        self.fail(f"{tok.text!r} cannot start a term", tok)
        raise AssertionError  # fail always raises

    def call(self, fn: str, name: Token) -> Expr:
        """``fn(arg)``, or ``fn arg`` where arg is one power (``sin x^2`` = sin(x^2))."""
        tok = self.peek()
        if tok.kind == "op" and tok.text == "(":
            self.take()
            arg = self.expression(0)
            self.expect_close(tok)
            return Call(fn, arg)
        if tok.kind == "end" or (tok.kind == "op" and tok.text not in "-+"):
            self.fail(f"{name.text} needs an argument, e.g. {name.text}(x)", tok)
        return Call(fn, self.expression(_POWER_BP - 1))

    def expect_close(self, opening: Token) -> None:
        tok = self.peek()
        if tok.kind == "op" and tok.text == ")":
            self.take()
            return
        if tok.kind == "end":
            self.fail("this '(' is never closed", opening)
        self.fail(f"expected ')' to close the '(' at column {opening.column}", tok)


def _product(factors: list[Expr]) -> Expr:
    return factors[0] if len(factors) == 1 else Product(tuple(factors))
