extension Double {
    /// `2` for 2.0, `2.5` for 2.5: how a vCPU count reads in a message.
    var compact: String {
        self == rounded() && abs(self) < 1e15 ? String(Int64(self)) : String(self)
    }
}
