const _: () = {
    use ::codec as _codec;
    #[automatically_derived]
    impl _codec::Message for StoreRequest {
        const ID: _codec::__private::u64 = 0x01;
        const NAME: &'static _codec::__private::str = "StoreRequest";
        const FIELDS: &'static [_codec::FieldLayout] = &[
            _codec::FieldLayout {
                name: "trans",
                offset: _codec::__private::Some(0usize),
                width: _codec::__private::Some(1usize),
                encoding: "u8",
            },
            _codec::FieldLayout {
                name: "name",
                offset: _codec::__private::Some(1usize),
                width: _codec::__private::None,
                encoding: "len = u8, String",
            },
            _codec::FieldLayout {
                name: "data",
                offset: _codec::__private::None,
                width: _codec::__private::None,
                encoding: "len = u16, Vec<u8>",
            },
        ];
        const IS_REQUEST: _codec::__private::bool = true;
        const TAG_MAX: _codec::__private::u64 = <u8 as _codec::__private::TagInt>::TAG_MAX;
        #[inline]
        fn tag(&self) -> _codec::__private::Option<_codec::__private::u64> {
            _codec::__private::Some(_codec::__private::TagInt::to_tag(self.trans))
        }
        #[inline]
        fn set_tag(&mut self, tag: _codec::__private::u64) -> _codec::__private::bool {
            match <u8 as _codec::__private::TagInt>::from_tag(tag) {
                _codec::__private::Some(t) => {
                    self.trans = t;
                    true
                }
                _codec::__private::None => false,
            }
        }
    }
    #[automatically_derived]
    impl _codec::Request for StoreRequest {
        type Response = StoreResponse;
    }
};
