import Foundation

/// What this process has used so far: its peak resident memory and its CPU time. For the jobs' summary lines, the
/// networks' stage profiles and `kineto bench`.
public enum ProcessStatistics {
    /// The high-water mark of this process's own resident memory (`VmHWM` in `/proc/self/status`), in bytes; nil
    /// where `/proc` cannot be read. Not `ru_maxrss`, which Linux carries across exec from the process that spawned
    /// this one (a test runner's or a daemon's gigabytes would be counted as the job's).
    public static var peakResidentBytes: Int? {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
            let kilobytes = Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "")
        else { return nil }
        return kilobytes * 1024
    }

    /// `peakResidentBytes` in MiB.
    public static var peakResidentMegabytes: Int? { peakResidentBytes.map { $0 >> 20 } }

    /// CPU seconds of the whole process so far (all threads, user and system): with other processes competing for
    /// the cores, wall time says little and this says what the work costs.
    public static var cpuSeconds: Double {
        var spec = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &spec)
        return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
    }

    /// User + system CPU seconds of the child processes this one has waited for (`getrusage(RUSAGE_CHILDREN)`).
    public static var childrenCPUSeconds: Double {
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_CHILDREN.rawValue), &usage)
        func seconds(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }
        return seconds(usage.ru_utime) + seconds(usage.ru_stime)
    }
}
