using System.Text;

namespace Messaging.Server.Features.Accounts;

/// <summary>
/// Which new passwords are accepted (NIST SP 800-63B §5.1.1.2): long enough, not on a list of passwords known from
/// breaches, not a keyboard walk or a repeated character, and not built on the login. No composition rules (a digit,
/// a symbol…): they push people towards "Password1!" without making guessing harder. One instance loads the shipped
/// list once; register it as a singleton.
/// </summary>
internal sealed class PasswordPolicy
{
    /// <summary>In UTF-16 chars (<see cref="string.Length"/>), like <see cref="PasswordHasher"/>'s limits.</summary>
    public const int MinimumLength = 12;

    public const int MaximumLength = 1024;

    /// <summary>The list's logical name in the assembly (see the project file).</summary>
    public const string ResourceName = "common-passwords.txt";

    // A login's local part shorter than this ("jo", "dr") is too likely to occur by chance in a good passphrase.
    private const int MinimumLoginPartLength = 4;

    // Trimmed variants shorter than this are not checked for walks and repeats: "abcd" + random digits is no walk.
    private const int MinimumPatternLength = 6;

    // Keyboard walks (QWERTY, AZERTY, QWERTZ rows read on, their columns, the shifted digit row) and, below, the
    // cyclic digit and letter runs.
    private static readonly string[] Walks =
    [
        "!@#$%^&*()_+",
        "1234567890qwertyuiopasdfghjklzxcvbnm",
        "1234567890azertyuiopqsdfghjklmwxcvbn",
        "1234567890qwertzuiopasdfghjklyxcvbnm",
        "1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik9ol0p",
        "1aqw2zsx3edc4rfv5tgb6yhn7uj8ik9ol0pm",
        "1q2w3e4r5t6y7u8i9o0p",
        "q1w2e3r4t5y6u7i8o9p0",
        "1a2z3e4r5t6y7u8i9o0p",
        "a1z2e3r4t5y6u7i8o9p0",
    ];

    private static readonly string[] Cycles = ["0123456789", "abcdefghijklmnopqrstuvwxyz"];

    private readonly HashSet<string> common;

    public PasswordPolicy() => common = LoadList();

    /// <summary>How many passwords the shipped list holds.</summary>
    public int CommonPasswordCount => common.Count;

    /// <summary>Null when <paramref name="password"/> is acceptable, else why not, in words fit for a problem response.</summary>
    /// <remarks>The message never repeats the password, nor the login.</remarks>
    public string? Check(string? password, string? login = null)
    {
        if (string.IsNullOrEmpty(password))
        {
            return "A password is required.";
        }

        if (password.Length < MinimumLength)
        {
            return $"A password has at least {MinimumLength} characters.";
        }

        if (password.Length > MaximumLength)
        {
            return $"A password has at most {MaximumLength} characters.";
        }

        var lowered = Fold(password);
        if (Variants(lowered).Any(IsCommon))
        {
            return "This password is too common: a few unrelated words make a password that is both strong and easy to remember.";
        }

        return LoginPart(login) is { } part && lowered.Contains(part, StringComparison.Ordinal)
            ? "A password must not contain your login."
            : null;
    }

    /// <summary>
    /// The password, and the password without the digits and punctuation people add at either end to pass rules
    /// ("password2024!", "!!Azertyuiop123").
    /// </summary>
    private static IEnumerable<string> Variants(string lowered)
    {
        var withoutTrailing = lowered.TrimEnd(Decorations(lowered));
        var withoutLeading = lowered.TrimStart(Decorations(lowered));
        var withoutEither = withoutTrailing.TrimStart(Decorations(withoutTrailing));
        return new[] { lowered, withoutTrailing, withoutLeading, withoutEither }.Where(v => v.Length > 0).Distinct(StringComparer.Ordinal);
    }

    /// <summary>The digits, punctuation, symbols and spaces that occur in <paramref name="text"/>: the characters to trim.</summary>
    private static char[] Decorations(string text) =>
        [.. text.Where(c => char.IsDigit(c) || char.IsPunctuation(c) || char.IsSymbol(c) || char.IsWhiteSpace(c)).Distinct()];

    private bool IsCommon(string candidate) =>
        common.Contains(candidate) || (candidate.Length >= MinimumPatternLength && (IsRepetition(candidate) || IsWalk(candidate)));

    /// <summary>One to four characters over and over: "aaaaaaaaaaaa", "abababababab", "123123123123".</summary>
    private static bool IsRepetition(string candidate)
    {
        for (var unit = 1; unit <= 4 && unit * 2 <= candidate.Length; unit++)
        {
            var repeated = true;
            for (var i = unit; i < candidate.Length && repeated; i++)
            {
                repeated = candidate[i] == candidate[i - unit];
            }

            if (repeated)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>A run along a keyboard or through the digits or the alphabet, either way: "qwertyuiopas", "987654321098".</summary>
    private static bool IsWalk(string candidate)
    {
        var reversed = new string([.. candidate.Reverse()]);
        var cycles = Cycles.Select(c => string.Concat(Enumerable.Repeat(c, (candidate.Length / c.Length) + 2)));
        return Walks.Concat(cycles).Any(walk =>
            walk.Contains(candidate, StringComparison.Ordinal) || walk.Contains(reversed, StringComparison.Ordinal));
    }

    /// <summary>The login's local part (before the @), lower-cased, when long enough to matter.</summary>
    private static string? LoginPart(string? login)
    {
        var trimmed = login?.Trim();
        if (string.IsNullOrEmpty(trimmed))
        {
            return null;
        }

        var at = trimmed.IndexOf('@', StringComparison.Ordinal);
        var local = Fold(at >= 0 ? trimmed[..at] : trimmed);
        return local.Length >= MinimumLoginPartLength ? local : null;
    }

    /// <summary>
    /// Composed (NFC) and lower-cased, as the list is. Where .NET normalises through ICU, a lone surrogate makes
    /// <see cref="string.Normalize()"/> throw: such text is only lower-cased.
    /// </summary>
    private static string Fold(string text)
    {
        try
        {
            return text.Normalize(NormalizationForm.FormC).ToLowerInvariant();
        }
        catch (ArgumentException)
        {
            return text.ToLowerInvariant();
        }
    }

    /// <summary>One entry a line, already lower-cased; lines starting with '#' are comments (the source and licence).</summary>
    private static HashSet<string> LoadList()
    {
        using var stream = typeof(PasswordPolicy).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"The embedded resource {ResourceName} is missing from the server assembly.");
        using var reader = new StreamReader(stream, Encoding.UTF8);
        var entries = new HashSet<string>(StringComparer.Ordinal);
        while (reader.ReadLine() is { } line)
        {
            if (line.Length > 0 && line[0] != '#')
            {
                entries.Add(line);
            }
        }

        return entries;
    }
}
