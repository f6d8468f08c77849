#include "cargo.h"
#include "util.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TABLE "package.metadata.bootimage"
#define KNOWN_KEYS "run-command, run-args, test-args, test-timeout, test-success-exit-code, test-no-reboot"

/* A growing string; on allocation failure oom is set and the caller reports it. */
struct text {
	char *s;
	size_t len, cap;
	int oom;
};

struct parser {
	const char *file;
	const char *p, *end;
	unsigned line;
	const char *key;   /* the key whose value is being read, for messages */
	struct text table; /* the current table's dotted name, "" at the top */
	int ours;          /* the current table is [package.metadata.bootimage] */
};

static void text_add(struct text *t, const char *s, size_t n)
{
	if (t->oom)
		return;
	if (t->len + n + 1 > t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 32;
		char *s2;
		while (cap < t->len + n + 1)
			cap *= 2;
		s2 = realloc(t->s, cap);
		if (s2 == NULL) {
			t->oom = 1;
			return;
		}
		t->s = s2;
		t->cap = cap;
	}
	memcpy(t->s + t->len, s, n);
	t->len += n;
	t->s[t->len] = '\0';
}

static int syntax_error(struct parser *ps, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int syntax_error(struct parser *ps, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (ps->key != NULL)
		return mkb_fail("%s:%u: %s: %s", ps->file, ps->line, ps->key, msg);
	return mkb_fail("%s:%u: %s", ps->file, ps->line, msg);
}

static int at_end(const struct parser *ps)
{
	return ps->p >= ps->end;
}

static void skip_blanks(struct parser *ps)
{
	while (!at_end(ps) && (*ps->p == ' ' || *ps->p == '\t'))
		ps->p++;
}

static void skip_comment(struct parser *ps)
{
	if (!at_end(ps) && *ps->p == '#')
		while (!at_end(ps) && *ps->p != '\n')
			ps->p++;
}

/* Blanks, comments and line ends: what may separate statements and array items. */
static void skip_space(struct parser *ps)
{
	for (;;) {
		skip_blanks(ps);
		skip_comment(ps);
		if (at_end(ps))
			return;
		if (*ps->p == '\n')
			ps->line++;
		else if (*ps->p != '\r')
			return;
		ps->p++;
	}
}

/* After a statement: blanks, a comment, then the end of the line. */
static int expect_line_end(struct parser *ps)
{
	skip_blanks(ps);
	skip_comment(ps);
	if (!at_end(ps) && *ps->p == '\r')
		ps->p++;
	if (!at_end(ps) && *ps->p != '\n')
		return syntax_error(ps, "unexpected '%c' after the value", *ps->p);
	return 0;
}

static int is_bare_key_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '-';
}

static void add_utf8(struct text *t, unsigned long cp)
{
	char b[4];
	size_t n;

	if (cp < 0x80) {
		b[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		b[0] = (char)(0xc0 | cp >> 6);
		b[1] = (char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		b[0] = (char)(0xe0 | cp >> 12);
		b[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		b[2] = (char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		b[0] = (char)(0xf0 | cp >> 18);
		b[1] = (char)(0x80 | (cp >> 12 & 0x3f));
		b[2] = (char)(0x80 | (cp >> 6 & 0x3f));
		b[3] = (char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	text_add(t, b, n);
}

static int read_escape(struct parser *ps, struct text *t)
{
	static const char from[] = "btnfr\"\\", to[] = "\b\t\n\f\r\"\\";
	const char *hit;
	unsigned long cp = 0;
	int digits;

	if (at_end(ps))
		return syntax_error(ps, "unterminated string");
	hit = strchr(from, *ps->p);
	if (hit != NULL && *ps->p != '\0') {
		text_add(t, &to[hit - from], 1);
		ps->p++;
		return 0;
	}
	if (*ps->p != 'u' && *ps->p != 'U')
		return syntax_error(ps, "unknown escape '\\%c' in a string", *ps->p);
	digits = *ps->p++ == 'u' ? 4 : 8;
	for (int i = 0; i < digits; i++, ps->p++) {
		char c = at_end(ps) ? '\0' : *ps->p;
		int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 :
		        c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
		if (d < 0)
			return syntax_error(ps, "\\u and \\U need %d hexadecimal digits", digits);
		cp = cp << 4 | (unsigned long)d;
	}
	if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return syntax_error(ps, "\\u%lx is not a Unicode scalar value", cp);
	add_utf8(t, cp);
	return 0;
}

/* A one-line "basic" or 'literal' string, decoded into t. */
static int read_string(struct parser *ps, struct text *t)
{
	char quote = *ps->p++;

	if (ps->end - ps->p >= 2 && ps->p[0] == quote && ps->p[1] == quote)
		return syntax_error(ps, "multi-line strings are not supported here");
	text_add(t, "", 0); /* "" is a string too, not NULL */
	for (;;) {
		const char *run = ps->p;
		while (!at_end(ps) && *ps->p != quote && *ps->p != '\n' && (quote == '\'' || *ps->p != '\\'))
			ps->p++;
		text_add(t, run, (size_t)(ps->p - run));
		if (at_end(ps) || *ps->p == '\n')
			return syntax_error(ps, "unterminated string");
		if (*ps->p++ == quote)
			return t->oom ? syntax_error(ps, "%s", strerror(ENOMEM)) : 0;
		if (read_escape(ps, t) != 0)
			return -1;
	}
}

/* Any string, multi-line ones too, without decoding: for tables we skip. */
static int skip_string(struct parser *ps)
{
	unsigned start_line = ps->line;
	char quote = *ps->p;
	int triple = ps->end - ps->p >= 3 && ps->p[1] == quote && ps->p[2] == quote;

	ps->p += triple ? 3 : 1;
	while (!at_end(ps)) {
		char c = *ps->p++;
		if (c == quote && (!triple || (ps->end - ps->p >= 2 && ps->p[0] == quote && ps->p[1] == quote))) {
			ps->p += triple ? 2 : 0;
			return 0;
		}
		if (c == '\\' && quote == '"' && !at_end(ps))
			c = *ps->p++;
		if (c == '\n') {
			if (!triple)
				break;
			ps->line++;
		}
	}
	ps->line = start_line;
	return syntax_error(ps, "unterminated string");
}

/* A value of a table we do not read: strings, nested arrays and inline tables are skipped whole. */
static int skip_value(struct parser *ps)
{
	unsigned start_line = ps->line;
	int depth = 0;

	do {
		if (at_end(ps)) {
			ps->line = start_line;
			return syntax_error(ps, depth ? "unterminated array or inline table" : "missing value");
		}
		if (*ps->p == '"' || *ps->p == '\'') {
			if (skip_string(ps) != 0)
				return -1;
		} else if (*ps->p == '[' || *ps->p == '{') {
			depth++;
			ps->p++;
		} else if (*ps->p == ']' || *ps->p == '}') {
			depth--;
			ps->p++;
		} else if (*ps->p == '#' || *ps->p == '\n' || *ps->p == '\r') {
			if (depth == 0)
				return syntax_error(ps, "missing value");
			skip_space(ps);
		} else {
			ps->p++;
		}
	} while (depth > 0);
	/* Scalars (numbers, dates with a space in them) run to the end of the line. */
	while (!at_end(ps) && *ps->p != '\n' && *ps->p != '#')
		ps->p++;
	return 0;
}

/* A dotted key, its parts joined by '.', for matching table names. */
static int read_key(struct parser *ps, struct text *key)
{
	for (;;) {
		skip_blanks(ps);
		if (!at_end(ps) && (*ps->p == '"' || *ps->p == '\'')) {
			if (read_string(ps, key) != 0)
				return -1;
		} else {
			const char *start = ps->p;
			while (!at_end(ps) && is_bare_key_char(*ps->p))
				ps->p++;
			if (ps->p == start)
				return syntax_error(ps, "expected a key");
			text_add(key, start, (size_t)(ps->p - start));
		}
		skip_blanks(ps);
		if (at_end(ps) || *ps->p != '.')
			return key->oom ? syntax_error(ps, "%s", strerror(ENOMEM)) : 0;
		ps->p++;
		text_add(key, ".", 1);
	}
}

static int read_integer(struct parser *ps, long min, long max, const char *expected, long *out)
{
	char digits[32];
	size_t n = 0;
	char *end;
	long v;

	if (!at_end(ps) && (*ps->p == '+' || *ps->p == '-'))
		digits[n++] = *ps->p++;
	while (!at_end(ps) && n < sizeof digits - 1 &&
	       ((*ps->p >= '0' && *ps->p <= '9') || (*ps->p == '_' && n > 0))) {
		if (*ps->p != '_')
			digits[n++] = *ps->p;
		ps->p++;
	}
	digits[n] = '\0';
	if (!at_end(ps) && *ps->p != ' ' && *ps->p != '\t' && *ps->p != '#' && *ps->p != '\r' && *ps->p != '\n')
		n = 0; /* 1.5, 0x10, "300": not a decimal integer */
	errno = 0;
	v = n ? strtol(digits, &end, 10) : 0;
	if (n == 0 || *end != '\0' || errno != 0 || v < min || v > max)
		return syntax_error(ps, "expected %s", expected);
	*out = v;
	return 0;
}

static int read_bool(struct parser *ps, int *out)
{
	size_t left = (size_t)(ps->end - ps->p);

	if (left >= 4 && memcmp(ps->p, "true", 4) == 0) {
		*out = 1;
		ps->p += 4;
	} else if (left >= 5 && memcmp(ps->p, "false", 5) == 0) {
		*out = 0;
		ps->p += 5;
	} else {
		return syntax_error(ps, "expected true or false");
	}
	return 0;
}

static void strings_free(struct cargo_strings *l)
{
	for (size_t i = 0; i < l->count; i++)
		free(l->items[i]);
	free(l->items);
	l->items = NULL;
	l->count = 0;
}

static int read_string_array(struct parser *ps, struct cargo_strings *out)
{
	struct cargo_strings l = { NULL, 0 };
	unsigned start_line = ps->line;

	if (at_end(ps) || *ps->p != '[')
		return syntax_error(ps, "expected an array of strings, like [\"-serial\", \"stdio\"]");
	ps->p++;
	l.items = malloc(sizeof *l.items);
	if (l.items == NULL)
		return syntax_error(ps, "%s", strerror(ENOMEM));
	for (;;) {
		struct text t = { 0 };
		char **grown;

		skip_space(ps);
		if (!at_end(ps) && *ps->p == ']')
			break;
		if (at_end(ps) || (*ps->p != '"' && *ps->p != '\'')) {
			strings_free(&l);
			if (at_end(ps))
				ps->line = start_line;
			return syntax_error(ps, at_end(ps) ? "unterminated array" :
			                    "expected an array of strings, like [\"-serial\", \"stdio\"]");
		}
		grown = realloc(l.items, (l.count + 1) * sizeof *l.items);
		if (grown == NULL || read_string(ps, &t) != 0) {
			free(t.s);
			if (grown != NULL)
				l.items = grown;
			strings_free(&l);
			return grown == NULL ? syntax_error(ps, "%s", strerror(ENOMEM)) : -1;
		}
		l.items = grown;
		l.items[l.count++] = t.s;
		skip_space(ps);
		if (!at_end(ps) && *ps->p == ',')
			ps->p++;
		else if (at_end(ps) || *ps->p != ']') {
			strings_free(&l);
			if (at_end(ps))
				ps->line = start_line;
			return syntax_error(ps, at_end(ps) ? "unterminated array" : "expected ',' or ']' in the array");
		}
	}
	ps->p++;
	*out = l;
	return 0;
}

/* One `key = value` of [package.metadata.bootimage]. */
static int read_setting(struct parser *ps, struct cargo_config *c, const char *key)
{
	struct cargo_strings ignored = { NULL, 0 }, *list = NULL;
	long v = 0;
	int b = 0, set;

	ps->key = key;
	if (strcmp(key, "run-command") == 0)
		list = &c->run_command;
	else if (strcmp(key, "run-args") == 0)
		list = &c->run_args;
	else if (strcmp(key, "test-args") == 0)
		list = &c->test_args;
	else if (strcmp(key, "build-command") == 0) /* bootimage's own build step: not ours to run */
		list = &ignored;

	if (list != NULL) {
		set = list->items != NULL;
		if (!set && read_string_array(ps, list) != 0)
			return -1;
		if (list == &c->run_command && list->count == 0)
			return syntax_error(ps, "must name a program, like [\"qemu-system-x86_64\"]");
		strings_free(&ignored);
	} else if (strcmp(key, "test-timeout") == 0) {
		set = c->test_timeout >= 0;
		if (!set && read_integer(ps, 1, INT_MAX / 1000, "a number of seconds, like 300", &v) != 0)
			return -1;
		c->test_timeout = set ? c->test_timeout : v;
	} else if (strcmp(key, "test-success-exit-code") == 0) {
		set = c->test_success_exit_code >= 0;
		if (!set && read_integer(ps, 0, 255, "an exit status (0..255), like 33", &v) != 0)
			return -1;
		c->test_success_exit_code = set ? c->test_success_exit_code : (int)v;
	} else if (strcmp(key, "test-no-reboot") == 0) {
		set = c->test_no_reboot >= 0;
		if (!set && read_bool(ps, &b) != 0)
			return -1;
		c->test_no_reboot = set ? c->test_no_reboot : b;
	} else {
		return syntax_error(ps, "unknown key in [" TABLE "] (known: " KNOWN_KEYS ")");
	}
	if (set)
		return syntax_error(ps, "set twice");
	return 0;
}

static int starts_with_table(const char *path)
{
	size_t n = strlen(TABLE);
	return strncmp(path, TABLE, n) == 0 && (path[n] == '\0' || path[n] == '.');
}

/* [table] or [[array of tables]]: remember its name, and whether it is ours. */
static int read_header(struct parser *ps)
{
	int array = ps->end - ps->p >= 2 && ps->p[1] == '[';

	ps->p += array ? 2 : 1;
	ps->table.len = 0;
	if (read_key(ps, &ps->table) != 0)
		return -1;
	if (at_end(ps) || *ps->p != ']' || (array && (ps->end - ps->p < 2 || ps->p[1] != ']')))
		return syntax_error(ps, "expected '%s' after the table name", array ? "]]" : "]");
	ps->p += array ? 2 : 1;
	ps->ours = !array && strcmp(ps->table.s, TABLE) == 0;
	if (!ps->ours && starts_with_table(ps->table.s))
		return syntax_error(ps, "[%s%s%s]: write the settings as keys of a [" TABLE "] table",
		                    array ? "[" : "", ps->table.s, array ? "]" : "");
	return expect_line_end(ps);
}

static int read_statement(struct parser *ps, struct cargo_config *c)
{
	struct text key = { 0 }, path = { 0 };
	int rc = -1;

	if (*ps->p == '[')
		return read_header(ps);
	if (read_key(ps, &key) != 0)
		goto out;
	if (at_end(ps) || *ps->p != '=') {
		syntax_error(ps, "expected '=' after '%s'", key.s);
		goto out;
	}
	ps->p++;
	skip_blanks(ps);
	if (ps->ours) {
		rc = read_setting(ps, c, key.s);
	} else {
		/* A dotted key may reach into our table from elsewhere: say so rather than ignore it. */
		if (ps->table.len) {
			text_add(&path, ps->table.s, ps->table.len);
			text_add(&path, ".", 1);
		}
		text_add(&path, key.s, key.len);
		if (path.oom)
			syntax_error(ps, "%s", strerror(ENOMEM));
		else if (starts_with_table(path.s))
			syntax_error(ps, "%s: write the settings as keys of a [" TABLE "] table", key.s);
		else
			rc = skip_value(ps);
	}
	if (rc == 0)
		rc = expect_line_end(ps);
	ps->key = NULL;
out:
	free(key.s);
	free(path.s);
	return rc;
}

int cargo_config_parse(struct cargo_config *c, const char *file, const char *text, size_t len)
{
	struct parser ps = { file, text, text + len, 1, NULL, { 0 }, 0 };
	int rc = 0;

	memset(c, 0, sizeof *c);
	c->test_timeout = -1;
	c->test_success_exit_code = -1;
	c->test_no_reboot = -1;
	if (memchr(text, '\0', len) != NULL)
		return mkb_fail("%s: not a text file (it holds a NUL byte)", file);
	for (;;) {
		skip_space(&ps);
		if (at_end(&ps))
			break;
		rc = read_statement(&ps, c);
		if (rc != 0) {
			cargo_config_free(c);
			break;
		}
	}
	free(ps.table.s);
	return rc;
}

int cargo_config_read(struct cargo_config *c, const char *path)
{
	FILE *f = fopen(path, "rb");
	char *text = NULL;
	size_t len = 0, cap = 0;
	int rc;

	if (f == NULL)
		return mkb_fail("%s: %s", path, strerror(errno));
	for (;;) {
		if (len == cap) {
			char *grown = realloc(text, cap = cap ? cap * 2 : 4096);
			if (grown == NULL) {
				fclose(f);
				free(text);
				return mkb_fail("%s: %s", path, strerror(ENOMEM));
			}
			text = grown;
		}
		size_t n = fread(text + len, 1, cap - len, f);
		len += n;
		if (n == 0)
			break;
	}
	if (ferror(f)) {
		rc = mkb_fail("%s: read: %s", path, strerror(errno));
	} else {
		rc = cargo_config_parse(c, path, text, len);
	}
	fclose(f);
	free(text);
	return rc;
}

void cargo_config_free(struct cargo_config *c)
{
	strings_free(&c->run_command);
	strings_free(&c->run_args);
	strings_free(&c->test_args);
}
