using System.Text;
using Messaging.Server.Features.Accounts;

namespace Messaging.Server.Tests.Features.Accounts;

/// <summary>The password policy against the shipped list of common passwords, loaded from the server assembly.</summary>
public sealed class PasswordPolicyTests
{
    private const string TooCommon = "is too common";

    // Loading the list once for the class keeps these tests fast; the policy is a singleton in the server too.
    private static readonly PasswordPolicy Policy = new();

    public static TheoryData<string> CommonPasswords =>
    [
        "cabinetmedical",
        "PeaceAndLove",
        "lavieestbelle",
        "password2024!",
        "Azertyuiop123",
        "!!Motdepasse2024",
        "2024-Secretariat!",
        "Docteur123456?",
        "Soleil 1234 5678",
    ];

    public static TheoryData<string> Patterns =>
    [
        "aaaaaaaaaaaa",
        "            ",
        "abababababab",
        "123123123123",
        "123456789012",
        "987654321098",
        "abcdefghijkl",
        "qwertyuiopas",
        "azertyuiopqs",
        "1qaz2wsx3edc4rfv",
        "Zyxwvutsrqpo",
        "abcdefghij2024!",
        "!@#$%^&*()_+",
    ];

    [Fact]
    public void Constructor_ShippedList_HoldsTensOfThousandsOfEntriesOrMore()
    {
        Assert.InRange(Policy.CommonPasswordCount, 10_000, 100_000);
    }

    [Fact]
    public void ShippedList_EveryEntry_IsLowerCaseComposedAndUnique()
    {
        var entries = ReadShippedList().Where(line => !line.StartsWith('#')).ToList();

        Assert.All(entries, entry => Assert.Equal(entry.Normalize(NormalizationForm.FormC).ToLowerInvariant(), entry));
        Assert.Equal(entries.Count, entries.Distinct(StringComparer.Ordinal).Count());
        Assert.StartsWith("# source: ", ReadShippedList().First(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    public void Check_Missing_IsRequired(string? password)
    {
        Assert.Equal("A password is required.", Policy.Check(password));
    }

    [Fact]
    public void Check_ElevenCharacters_TooShort()
    {
        Assert.Equal("A password has at least 12 characters.", Policy.Check("violon-hibo"));
    }

    [Fact]
    public void Check_MoreThanMaximumLength_TooLong()
    {
        var password = Passphrase(PasswordPolicy.MaximumLength + 1);

        Assert.Equal("A password has at most 1024 characters.", Policy.Check(password));
    }

    [Fact]
    public void Check_ExactlyMinimumAndMaximumLengths_Accepted()
    {
        Assert.Null(Policy.Check("violon-hibou"));
        Assert.Null(Policy.Check(Passphrase(PasswordPolicy.MaximumLength)));
    }

    [Theory]
    [MemberData(nameof(CommonPasswords))]
    public void Check_ListedPasswordOrListedWithDecorations_TooCommon(string password)
    {
        Assert.Contains(TooCommon, Policy.Check(password), StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Patterns))]
    public void Check_RepetitionOrKeyboardOrNumberRun_TooCommon(string password)
    {
        Assert.Contains(TooCommon, Policy.Check(password), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Dupont-violon-hibou", "dupont@cabinet.example")]
    [InlineData("hibou MARIE.CURIE violon", "Marie.Curie@cabinet.example")]
    [InlineData("violon-secretaire-hibou", "secretaire")]
    public void Check_ContainsLoginLocalPart_Refused(string password, string login)
    {
        Assert.Equal("A password must not contain your login.", Policy.Check(password, login));
    }

    [Theory]
    [InlineData("correct horse battery staple", null)]
    [InlineData("violon-hibou-cartable-92", "secretariat@cabinet.example")]
    [InlineData("jo aime les longues marches", "jo@cabinet.example")]
    [InlineData("Trois Poires Bleues Dansent", "")]
    [InlineData("p&9$2#1!0@4^7", null)]
    public void Check_StrongPassphrase_Accepted(string password, string? login)
    {
        Assert.Null(Policy.Check(password, login));
    }

    [Fact]
    public void Check_LoneSurrogate_NeitherThrowsNorIsRefusedForIt()
    {
        // Not as InlineData: attribute strings are stored as UTF-8, which cannot carry a lone surrogate.
        Assert.Null(Policy.Check("Violon \ud800 hibou cartable", "hibou\udc00@cabinet.example"));
    }

    [Theory]
    [InlineData("violon-hibo", null)]
    [InlineData("cabinetmedical", null)]
    [InlineData("password2024!", null)]
    [InlineData("qwertyuiopas", null)]
    [InlineData("aaaaaaaaaaaa", null)]
    [InlineData("Dupont-violon-hibou", "dupont@cabinet.example")]
    public void Check_AnyRefusal_NeverRepeatsThePasswordOrTheLogin(string password, string? login)
    {
        var message = Policy.Check(password, login);

        Assert.NotNull(message);
        Assert.DoesNotContain(password, message, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("dupont", message, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>Distinct words, so that no length makes a repetition or a keyboard run.</summary>
    private static string Passphrase(int length)
    {
        var words = new StringBuilder();
        for (var i = 0; words.Length < length; i++)
        {
            words.Append("mot").Append(i).Append('-');
        }

        return words.ToString(0, length);
    }

    private static List<string> ReadShippedList()
    {
        using var stream = typeof(PasswordPolicy).Assembly.GetManifestResourceStream(PasswordPolicy.ResourceName)!;
        using var reader = new StreamReader(stream, Encoding.UTF8);
        var lines = new List<string>();
        while (reader.ReadLine() is { } line)
        {
            lines.Add(line);
        }

        return lines;
    }
}
