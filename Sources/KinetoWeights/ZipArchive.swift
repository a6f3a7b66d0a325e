/// The stored (uncompressed) entries of a zip archive in a mapped file, found through its central directory
/// (zip64 included). PyTorch writes checkpoint archives uncompressed so that storages can be mapped in place.
struct ZipArchive {
    struct Entry {
        let name: String
        /// Offset of the entry's bytes in the file.
        let dataOffset: Int
        let size: Int
    }

    let path: String
    /// Entries in central-directory order.
    let entries: [Entry]
    private let byName: [String: Int]

    static func looksLikeZip(_ file: MappedFile) -> Bool {
        file.size >= 4 && file.base.loadUnaligned(as: UInt32.self) == UInt32(0x0403_4b50).littleEndian
    }

    init(file: MappedFile, path: String) throws {
        self.path = path
        let bytes = UnsafeRawBufferPointer(start: file.base, count: file.size)
        func fail(_ message: String) -> WeightError { WeightError(file: path, "zip archive: \(message)") }
        func u16(_ at: Int) throws -> Int {
            guard at >= 0, at <= bytes.count - 2 else {
                throw fail("record at byte \(at) runs past the end (file truncated?)")
            }
            return Int(UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: at, as: UInt16.self)))
        }
        func u32(_ at: Int) throws -> Int {
            guard at >= 0, at <= bytes.count - 4 else {
                throw fail("record at byte \(at) runs past the end (file truncated?)")
            }
            return Int(UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: at, as: UInt32.self)))
        }
        func u64(_ at: Int) throws -> Int {
            guard at >= 0, at <= bytes.count - 8 else {
                throw fail("record at byte \(at) runs past the end (file truncated?)")
            }
            let v = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: at, as: UInt64.self))
            guard v <= UInt64(Int.max) else { throw fail("64-bit field at byte \(at) is out of range") }
            return Int(v)
        }

        // End of central directory: 22 bytes plus a comment of up to 65535 bytes at the very end.
        var eocd = -1
        if bytes.count >= 22 {
            var at = bytes.count - 22
            let lowest = max(0, bytes.count - 22 - 65535)
            while at >= lowest {
                if try u32(at) == 0x0605_4b50 {
                    eocd = at
                    break
                }
                at -= 1
            }
        }
        guard eocd >= 0 else { throw fail("no end-of-central-directory record (file truncated, or not a zip archive)") }
        var entryCount = try u16(eocd + 10)
        var directorySize = try u32(eocd + 12)
        var directoryOffset = try u32(eocd + 16)
        if entryCount == 0xFFFF || directorySize == 0xFFFF_FFFF || directoryOffset == 0xFFFF_FFFF {
            // Zip64: a locator just before the record points at the 64-bit end record.
            guard eocd >= 20, try u32(eocd - 20) == 0x0706_4b50 else {
                throw fail("zip64 sizes without a zip64 locator")
            }
            let record = try u64(eocd - 20 + 8)
            guard try u32(record) == 0x0606_4b50 else { throw fail("zip64 end record missing at byte \(record)") }
            entryCount = try u64(record + 32)
            directorySize = try u64(record + 40)
            directoryOffset = try u64(record + 48)
        }
        guard directoryOffset <= bytes.count, directorySize <= bytes.count - directoryOffset else {
            throw fail(
                "central directory (\(directorySize) bytes at \(directoryOffset)) lies outside the \(bytes.count)-byte file (truncated?)"
            )
        }
        guard entryCount <= directorySize / 46 else {
            throw fail("\(entryCount) entries cannot fit in a \(directorySize)-byte directory")
        }

        var entries: [Entry] = []
        var byName: [String: Int] = [:]
        var at = directoryOffset
        for _ in 0..<entryCount {
            guard try u32(at) == 0x0201_4b50 else { throw fail("bad central directory entry at byte \(at)") }
            let flags = try u16(at + 8)
            let method = try u16(at + 10)
            var compressedSize = try u32(at + 20)
            var size = try u32(at + 24)
            let nameLength = try u16(at + 28)
            let extraLength = try u16(at + 30)
            let commentLength = try u16(at + 32)
            var localOffset = try u32(at + 42)
            guard at + 46 + nameLength <= bytes.count else { throw fail("entry name at byte \(at) runs past the end") }
            let name = String(
                decoding: UnsafeRawBufferPointer(rebasing: bytes[(at + 46)..<(at + 46 + nameLength)]), as: UTF8.self)
            // Zip64 extended information: the 64-bit values of the fields that read 0xFFFFFFFF, in this order.
            var extra = at + 46 + nameLength
            let extraEnd = extra + extraLength
            while extra + 4 <= extraEnd {
                let id = try u16(extra)
                let length = try u16(extra + 2)
                if id == 0x0001 {
                    var field = extra + 4
                    if size == 0xFFFF_FFFF {
                        size = try u64(field)
                        field += 8
                    }
                    if compressedSize == 0xFFFF_FFFF {
                        compressedSize = try u64(field)
                        field += 8
                    }
                    if localOffset == 0xFFFF_FFFF {
                        localOffset = try u64(field)
                        field += 8
                    }
                }
                extra += 4 + length
            }
            guard flags & 1 == 0 else { throw fail("entry '\(name)' is encrypted") }
            guard method == 0 else {
                throw fail(
                    "entry '\(name)' is compressed (method \(method)); PyTorch writes checkpoints uncompressed — re-save it with torch.save, or unzip and re-zip with `zip -0`"
                )
            }
            guard compressedSize == size else { throw fail("stored entry '\(name)' has differing sizes") }
            guard try u32(localOffset) == 0x0403_4b50 else {
                throw fail("entry '\(name)': no local header at byte \(localOffset)")
            }
            let dataOffset = localOffset + 30 + (try u16(localOffset + 26)) + (try u16(localOffset + 28))
            guard dataOffset <= bytes.count, size <= bytes.count - dataOffset else {
                throw fail(
                    "entry '\(name)' (\(size) bytes at \(dataOffset)) runs past the end of the file (truncated?)")
            }
            byName[name] = entries.count
            entries.append(Entry(name: name, dataOffset: dataOffset, size: size))
            at += 46 + nameLength + extraLength + commentLength
        }
        self.entries = entries
        self.byName = byName
    }

    func entry(_ name: String) -> Entry? { byName[name].map { entries[$0] } }
}
