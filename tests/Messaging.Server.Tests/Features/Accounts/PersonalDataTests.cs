using System.Security.Cryptography;
using System.Text;
using Messaging.Server.Features.Accounts;
using Messaging.Server.Hosting;

namespace Messaging.Server.Tests.Features.Accounts;

/// <summary>Personal data sealed at rest (<see cref="PersonalDataProtector"/>) and found by a blind index (<see cref="EmailIndex"/>).</summary>
public sealed class PersonalDataTests
{
    // 1 version byte, a 24-byte nonce and a 16-byte tag around the padded JSON.
    private const int Overhead = 1 + 24 + 16;

    private static readonly PersonalProfile Alice = new("Alice Martin", "alice.martin@example.fr", "+33 6 12 34 56 78");

    private readonly ServerKeys keys = RandomKeys();

    [Fact]
    public void Unprotect_WhatProtectSealed_ReturnsTheSameProfile()
    {
        var protector = new PersonalDataProtector(keys);
        var owner = Guid.NewGuid();

        Assert.Equal(Alice, protector.Unprotect(protector.Protect(Alice, owner), owner));
    }

    [Fact]
    public void Unprotect_ProfileOfNulls_RoundTrips()
    {
        var protector = new PersonalDataProtector(keys);
        var owner = Guid.NewGuid();
        var empty = new PersonalProfile(null, null, null);

        Assert.Equal(empty, protector.Unprotect(protector.Protect(empty, owner), owner));
    }

    [Fact]
    public void Unprotect_UnicodeProfile_RoundTrips()
    {
        var protector = new PersonalDataProtector(keys);
        var owner = Guid.NewGuid();
        var profile = new PersonalProfile("Hélène Ødegård 李", "hélène@exemple.fr", null);

        Assert.Equal(profile, protector.Unprotect(protector.Protect(profile, owner), owner));
    }

    [Fact]
    public void Unprotect_AnyByteChanged_ThrowsCryptographicException()
    {
        var protector = new PersonalDataProtector(keys);
        var owner = Guid.NewGuid();
        var sealedData = protector.Protect(Alice, owner);

        for (var i = 0; i < sealedData.Length; i++)
        {
            var tampered = (byte[])sealedData.Clone();
            tampered[i] ^= 0x01;
            Assert.Throws<CryptographicException>(() => protector.Unprotect(tampered, owner));
        }
    }

    [Fact]
    public void Unprotect_TruncatedOrExtended_ThrowsCryptographicException()
    {
        var protector = new PersonalDataProtector(keys);
        var owner = Guid.NewGuid();
        var sealedData = protector.Protect(Alice, owner);

        Assert.Throws<CryptographicException>(() => protector.Unprotect(sealedData[..^1], owner));
        Assert.Throws<CryptographicException>(() => protector.Unprotect([.. sealedData, 0], owner));
        Assert.Throws<CryptographicException>(() => protector.Unprotect([], owner));
    }

    [Fact]
    public void Unprotect_AnotherOwner_ThrowsCryptographicException()
    {
        var protector = new PersonalDataProtector(keys);
        var sealedData = protector.Protect(Alice, Guid.NewGuid());

        Assert.Throws<CryptographicException>(() => protector.Unprotect(sealedData, Guid.NewGuid()));
    }

    [Fact]
    public void Unprotect_AnotherServerKey_ThrowsCryptographicException()
    {
        var owner = Guid.NewGuid();
        var sealedData = new PersonalDataProtector(keys).Protect(Alice, owner);

        Assert.Throws<CryptographicException>(() => new PersonalDataProtector(RandomKeys()).Unprotect(sealedData, owner));
    }

    [Fact]
    public void TryUnprotect_AnotherOwner_ReturnsFalse()
    {
        var protector = new PersonalDataProtector(keys);
        var sealedData = protector.Protect(Alice, Guid.NewGuid());

        Assert.False(protector.TryUnprotect(sealedData, Guid.NewGuid(), out var profile));
        Assert.Null(profile);
    }

    [Fact]
    public void Protect_SameProfileTwice_GivesDifferentBytes()
    {
        var protector = new PersonalDataProtector(keys);
        var owner = Guid.NewGuid();

        Assert.NotEqual(protector.Protect(Alice, owner), protector.Protect(Alice, owner));
    }

    [Fact]
    public void Protect_Output_ContainsNoneOfTheProfileInClear()
    {
        var sealedData = new PersonalDataProtector(keys).Protect(Alice, Guid.NewGuid());

        foreach (var text in new[] { Alice.Email!, Alice.Name!, Alice.Phone!, "alice", "Email" })
        {
            Assert.Equal(-1, sealedData.AsSpan().IndexOf(Encoding.UTF8.GetBytes(text)));
        }
    }

    [Fact]
    public void Protect_Lengths_ArePaddedToBlocksOf64()
    {
        var protector = new PersonalDataProtector(keys);
        var lengths = Enumerable.Range(0, 200)
            .Select(n => protector.Protect(new PersonalProfile(new string('x', n), null, null), Guid.NewGuid()).Length)
            .ToList();

        Assert.All(lengths, length => Assert.Equal(0, (length - Overhead) % PersonalDataProtector.PaddingBlock));
        // Names from 1 to 20 characters (and more) all give the same length.
        Assert.Single(lengths.Take(20).Distinct());
        Assert.Equal(4, lengths.Distinct().Count());
    }

    [Fact]
    public void ToString_Profile_NamesNothingPersonal()
    {
        var text = Alice.ToString();

        Assert.Equal("PersonalProfile(redacted)", text);
        Assert.DoesNotContain("alice", $"{Alice}", StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    [InlineData("alice.martin@example.fr", "Alice.Martin@Example.FR")]
    [InlineData("alice.martin@example.fr", "  alice.martin@example.fr \t")]
    [InlineData("h\u00e9l\u00e8ne@exemple.fr", "H\u00c9L\u00c8NE@exemple.fr")]
    public void EmailIndexCompute_CaseOrWhitespaceVariants_AreEqual(string email, string variant)
    {
        var index = new EmailIndex(keys);

        Assert.Equal(index.Compute(email), index.Compute(variant));
        Assert.Equal(32, index.Compute(email).Length);
    }

    [Fact]
    public void EmailIndexCompute_DecomposedAccents_EqualComposed()
    {
        // With InvariantGlobalization (Directory.Build.props) .NET has no normalisation tables: Normalize is a no-op.
        Assert.SkipUnless("e\u0301".Normalize() == "\u00e9", "string.Normalize does not compose under InvariantGlobalization.");
        var index = new EmailIndex(keys);

        Assert.Equal(index.Compute("h\u00e9l\u00e8ne@exemple.fr"), index.Compute("he\u0301le\u0300ne@exemple.fr"));
    }

    [Fact]
    public void EmailIndexCompute_DifferentEmails_Differ()
    {
        var index = new EmailIndex(keys);

        Assert.NotEqual(index.Compute("alice@example.fr"), index.Compute("alice@example.com"));
    }

    [Fact]
    public void EmailIndexCompute_AnotherServerKey_Differs()
    {
        Assert.NotEqual(new EmailIndex(keys).Compute("alice@example.fr"), new EmailIndex(RandomKeys()).Compute("alice@example.fr"));
    }

    [Fact]
    public void EmailIndexCompute_SameTextAsALogin_DiffersFromTheLoginIndex()
    {
        Assert.NotEqual(new EmailIndex(keys).Compute("alice@example.fr"), new LoginIndex(keys).Compute("alice@example.fr"));
    }

    [Theory]
    [InlineData("alice@example.fr")]
    [InlineData("  alice.martin+cabinet@sub.example.fr ")]
    [InlineData("hélène@exemple.fr")]
    public void EmailIndexValidate_WellFormed_ReturnsNull(string email)
    {
        Assert.Null(EmailIndex.Validate(email));
    }

    [Theory]
    [InlineData(null, "An email address is required.")]
    [InlineData("   ", "An email address is required.")]
    [InlineData("alice", "An email address has the form name@domain, without spaces.")]
    [InlineData("@example.fr", "An email address has the form name@domain, without spaces.")]
    [InlineData("alice@", "An email address has the form name@domain, without spaces.")]
    [InlineData("alice@@example.fr", "An email address has the form name@domain, without spaces.")]
    [InlineData("ali ce@example.fr", "An email address has the form name@domain, without spaces.")]
    [InlineData("alice@exam\u0001ple.fr", "An email address has the form name@domain, without spaces.")]
    public void EmailIndexValidate_Malformed_SaysWhy(string? email, string expected)
    {
        Assert.Equal(expected, EmailIndex.Validate(email));
    }

    [Fact]
    public void EmailIndexValidate_LoneSurrogate_Refused()
    {
        // Not as InlineData: attribute strings are stored as UTF-8, which cannot carry a lone surrogate.
        Assert.Equal("An email address has the form name@domain, without spaces.", EmailIndex.Validate("alice@exam\ud800ple.fr"));
        Assert.Equal("An email address has the form name@domain, without spaces.", EmailIndex.Validate("alice@example.fr\udc00"));
        Assert.Null(EmailIndex.Validate("alice@exam\ud83d\ude00ple.fr"));
    }

    [Fact]
    public void EmailIndexValidate_LongerThan254_SaysSo()
    {
        var email = new string('a', 64) + "@" + new string('b', 187) + ".fr";

        Assert.Equal(255, email.Length);
        Assert.Equal("An email address has at most 254 characters.", EmailIndex.Validate(email));
        Assert.Null(EmailIndex.Validate(email[1..]));
    }

    /// <summary>Three configured keys: nothing is read from or written to disk.</summary>
    private static ServerKeys RandomKeys() => ServerKeys.Load(
        new KeyOptions
        {
            TokenSigningKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
            BlindIndexKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
            PersonalDataKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
        },
        dataDirectory: Path.Combine(Path.GetTempPath(), "messaging-tests", "never-created"));
}
